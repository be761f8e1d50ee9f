package io.personalize.udfs.control;

import io.personalize.schema.ControlEvent;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * An empty, finite control stream, for runs without a control topic (bounded replays, benchmarks).
 * ({@code env.fromData} of an empty collection fails at run time in Flink 2.2.)
 */
public final class NoControlCommands implements FlatMapFunction<Long, ControlEvent>, ResultTypeQueryable<ControlEvent> {
    private static final long serialVersionUID = 1L;

    public static DataStream<ControlEvent> stream(StreamExecutionEnvironment env) {
        return env.fromSequence(0, 0).name("no-control-input").flatMap(new NoControlCommands()).name("no-control-input");
    }

    @Override
    public void flatMap(Long ignored, Collector<ControlEvent> out) {}

    @Override
    public TypeInformation<ControlEvent> getProducedType() {
        return TypeInformation.of(ControlEvent.class);
    }
}
