package io.personalize.udfs.bandit;

import io.personalize.schema.BanditParameters;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import java.time.Duration;
import java.util.Arrays;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The decision bandit's one learner (keyed by a single key): adds every reward the decision
 * subtasks attribute to its statistics, held in keyed state so they are checkpointed, and every
 * publish interval with news sends the whole statistics as BANDIT_UPDATE on the control topic,
 * which every decision subtask reads back and refits from. Sending totals, not increments, keeps
 * every subtask's copy exact however many updates it missed.
 */
public class LearnBandit extends KeyedProcessFunction<String, BanditFeedback, ControlEvent> {
    private static final long serialVersionUID = 1L;
    public static final String KEY = "decision-bandit";

    private final int actions;
    private final int dimension;
    private final long publishIntervalMs;
    private transient ValueState<BanditStatistics> statistics;
    private transient ValueState<Long> nextPublishAt;
    private transient Counter rewards;

    public LearnBandit(int actions, int dimension, Duration publishInterval) {
        this.actions = actions;
        this.dimension = dimension;
        this.publishIntervalMs = publishInterval.toMillis();
    }

    @Override
    public void open(OpenContext openContext) {
        statistics = getRuntimeContext().getState(new ValueStateDescriptor<>("bandit-statistics", BanditStatistics.class));
        nextPublishAt = getRuntimeContext().getState(new ValueStateDescriptor<>("bandit-next-publish", Long.class));
        rewards = getRuntimeContext().getMetricGroup().counter("banditRewardsLearned");
    }

    @Override
    public void processElement(BanditFeedback feedback, Context ctx, Collector<ControlEvent> out) throws Exception {
        BanditStatistics s = statistics.value();
        if (s == null) {
            s = new BanditStatistics(actions, dimension);
        }
        s.add(feedback.action, feedback.context, feedback.reward);
        statistics.update(s);
        rewards.inc();
        if (nextPublishAt.value() == null) {
            long at = ctx.timerService().currentProcessingTime() + publishIntervalMs;
            ctx.timerService().registerProcessingTimeTimer(at);
            nextPublishAt.update(at);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ControlEvent> out) throws Exception {
        nextPublishAt.clear();
        BanditStatistics s = statistics.value();
        out.collect(ControlEvent.newBuilder()
                .setRequestId("bandit-update/" + s.rounds())
                .setCommand(ControlCommand.BANDIT_UPDATE)
                .setBanditStatistics(toRecord(s))
                .setRequestedBy("learner:learn-bandit")
                .setRequestedAt(timestamp)
                .build());
    }

    public static BanditParameters toRecord(BanditStatistics s) {
        return BanditParameters.newBuilder()
                .setActions(s.actions)
                .setDimension(s.dimension)
                .setContextProducts(Arrays.stream(s.contextProducts).boxed().toList())
                .setRewardWeightedContexts(Arrays.stream(s.rewardWeightedContexts).boxed().toList())
                .setCounts(Arrays.stream(s.counts).boxed().toList())
                .setRewardSums(Arrays.stream(s.rewardSums).boxed().toList())
                .setRounds(s.rounds())
                .build();
    }

    public static BanditStatistics fromRecord(BanditParameters p) {
        BanditStatistics s = new BanditStatistics(p.getActions(), p.getDimension());
        s.contextProducts = p.getContextProducts().stream().mapToDouble(Double::doubleValue).toArray();
        s.rewardWeightedContexts = p.getRewardWeightedContexts().stream().mapToDouble(Double::doubleValue).toArray();
        s.counts = p.getCounts().stream().mapToLong(Long::longValue).toArray();
        s.rewardSums = p.getRewardSums().stream().mapToDouble(Double::doubleValue).toArray();
        return s;
    }
}
