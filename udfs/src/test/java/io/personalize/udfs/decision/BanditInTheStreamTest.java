package io.personalize.udfs.decision;

import static io.personalize.udfs.TestEvents.T0;
import static io.personalize.udfs.decision.DecideAndAssignTest.decide;
import static io.personalize.udfs.decision.DecideAndAssignTest.harness;
import static io.personalize.udfs.decision.DecideAndAssignTest.ok;
import static io.personalize.udfs.decision.DecideAndAssignTest.scored;
import static org.assertj.core.api.Assertions.assertThat;

import io.personalize.schema.Action;
import io.personalize.schema.ControlCommand;
import io.personalize.schema.ControlEvent;
import io.personalize.schema.EventType;
import io.personalize.schema.PersonalizationDecision;
import io.personalize.udfs.TestEvents;
import io.personalize.udfs.bandit.BanditFeedback;
import io.personalize.udfs.bandit.DecisionContext;
import io.personalize.udfs.bandit.LearnBandit;
import io.personalize.udfs.bandit.LinearBandit;
import io.personalize.udfs.experiment.Experiment;
import io.personalize.udfs.model.ModelResult;
import io.personalize.udfs.model.ScoredEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The bandit learning in the stream: simulated users respond to the decision operator's actions
 * (a click within minutes, with a probability that depends on the action and on the user's churn
 * risk and propensity); the rewards go to the learner, whose statistics come back on the broadcast
 * input as BANDIT_UPDATE, the way the control topic carries them in the job.
 */
class BanditInTheStreamTest {
    private static final int USERS = 1_000;
    private static final int ROUNDS = 8_000;
    private static final long MINUTE = 60_000L;
    private static final Experiment ALL_BANDIT = new Experiment("decision-bandit", List.of("control", "bandit"),
            new double[] {0, 1}, 1, 2, null, null, 0, 1);

    /** The simulated users' true click probability after each action. */
    private static double clickProbability(Action action, double propensity, double churn) {
        return switch (action) {
            case NO_ACTION -> 0.02;
            case SHOW_RECOMMENDATIONS -> 0.08 + 0.1 * propensity;
            case SEND_RETENTION_OFFER -> 0.02 + 0.35 * churn;
            case SEND_REVIEW_FOLLOW_UP -> 0.0;
        };
    }

    @Test
    void theBanditLearnsWhichActionPaysFromItsOwnDecisionsFeedback() throws Exception {
        DecisionPolicy policy = new DecisionPolicy(0.2, 2, 20, new PolicyRules(java.util.EnumSet.allOf(Action.class), 1_000, Duration.ZERO, Duration.ZERO,
                Duration.ZERO, 0, PolicyRules.LowConfidence.DEFAULT, "bandit", new LinearBandit.Settings(1, 0.5, 0.1),
                Duration.ofHours(1)));
        SplittableRandom random = new SplittableRandom(2026);
        double[] propensity = new double[USERS];
        double[] churn = new double[USERS];
        int[] orders = new int[USERS];
        for (int u = 0; u < USERS; u++) {
            propensity[u] = random.nextDouble();
            churn[u] = random.nextDouble();
            orders[u] = 2 + random.nextInt(10); // repeat customers: every action is eligible
        }
        int updates = 0;
        List<Boolean> choseBest = new ArrayList<>();
        double regret = 0;
        double uniformRegret = 0;
        try (var decideHarness = harness(ALL_BANDIT, policy, null);
                var learnHarness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                        new LearnBandit(Action.values().length, DecisionContext.DIMENSION, Duration.ofSeconds(1))),
                        (BanditFeedback f) -> LearnBandit.KEY, Types.STRING)) {
            learnHarness.open();
            for (int round = 0; round < ROUNDS; round++) {
                int u = random.nextInt(USERS);
                long t = T0 + round * MINUTE;
                decide(decideHarness, scoredFor("u" + u, EventType.VIEW, t, orders[u], propensity[u], churn[u]));
                List<PersonalizationDecision> out = decideHarness.extractOutputValues();
                Action chosen = out.get(out.size() - 1).getAction();

                double best = 0;
                double sum = 0;
                Action bestAction = null;
                for (Action a : List.of(Action.NO_ACTION, Action.SHOW_RECOMMENDATIONS, Action.SEND_RETENTION_OFFER)) {
                    double r = clickProbability(a, propensity[u], churn[u]);
                    sum += r;
                    if (r > best) {
                        best = r;
                        bestAction = a;
                    }
                }
                regret += best - clickProbability(chosen, propensity[u], churn[u]);
                uniformRegret += best - sum / 3;
                choseBest.add(chosen == bestAction);
                if (random.nextDouble() < clickProbability(chosen, propensity[u], churn[u])) {
                    decide(decideHarness, scoredFor("u" + u, EventType.CLICK, t + 10 * MINUTE, orders[u], propensity[u],
                            churn[u]));
                }
                if (round % 100 == 99) { // time passes: windows close, the learner shares what it learned
                    decideHarness.processWatermark(t - 2 * 60 * MINUTE);
                    var feedback = decideHarness.getSideOutput(DecideAndAssign.BANDIT_FEEDBACK);
                    for (StreamRecord<BanditFeedback> f; feedback != null && (f = feedback.poll()) != null; ) {
                        learnHarness.processElement(f.getValue(), 0);
                    }
                    learnHarness.setProcessingTime(round * 1_000L + 1_000_000L);
                    for (ControlEvent update : learnHarness.extractOutputValues().subList(updates,
                            learnHarness.extractOutputValues().size())) {
                        assertThat(update.getCommand()).isEqualTo(ControlCommand.BANDIT_UPDATE);
                        decideHarness.processBroadcastElement(update, t);
                        updates++;
                    }
                }
            }
            List<PersonalizationDecision> decisions = decideHarness.extractOutputValues();
            assertThat(decisions).allMatch(d -> "BANDIT".equals(d.getPolicy()));
            assertThat(decisions).allMatch(d -> d.getActionProbability() > 0 && d.getActionProbability() <= 1);
        }
        int quarter = ROUNDS / 4;
        double first = share(choseBest.subList(0, quarter));
        double last = share(choseBest.subList(ROUNDS - quarter, ROUNDS));
        System.out.printf("bandit in the stream: best action chosen in %.3f of the first quarter, %.3f of the last; "
                + "regret %.1f against %.1f for uniform choice (%d updates)%n", first, last, regret, uniformRegret, updates);
        assertThat(updates).isGreaterThan(50);
        assertThat(last).isGreaterThan(first + 0.1).isGreaterThan(0.6);
        assertThat(regret).isLessThan(0.6 * uniformRegret);
    }

    private static double share(List<Boolean> hits) {
        return hits.stream().filter(b -> b).count() / (double) hits.size();
    }

    private static ScoredEvent scoredFor(String user, EventType type, long time, int orders, double propensity,
            double churn) {
        ScoredEvent s = scored(TestEvents.of(type, user, "22423", time), orders, new String[] {"22423"},
                ok((float) propensity));
        return new ScoredEvent(s.input, s.models[0], ModelResult.ok(DecisionPolicy.CHURN_MODEL, "v1", (float) churn, 10));
    }
}
