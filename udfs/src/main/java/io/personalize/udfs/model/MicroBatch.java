package io.personalize.udfs.model;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Groups consecutive records into arrays of at most {@code maxSize}, sent when full or
 * {@code maxDelayMs} after the first one arrived, and always before a checkpoint barrier, a
 * watermark or the end of the input: it never holds a record across a checkpoint, so it needs no
 * state. Ahead of an async scoring operator it makes one async request (one timeout timer, one
 * queue entry, one completion) of many records, where Flink's per-request cost dwarfed scoring a row.
 */
public class MicroBatch<T> extends AbstractStreamOperator<T[]> implements OneInputStreamOperator<T, T[]>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final int maxSize;
    private final long maxDelayMs;
    private transient List<T> buffer;
    private transient long batchNumber;

    public MicroBatch(Class<T> type, int maxSize, long maxDelayMs) {
        this.type = type;
        this.maxSize = maxSize;
        this.maxDelayMs = maxDelayMs;
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new ArrayList<>(maxSize);
    }

    @Override
    public void processElement(StreamRecord<T> element) {
        buffer.add(element.getValue());
        if (buffer.size() >= maxSize) {
            flush();
        } else if (buffer.size() == 1) {
            long batch = batchNumber;
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + maxDelayMs,
                    time -> {
                        if (batchNumber == batch) { // that batch may have gone out full already
                            flush();
                        }
                    });
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        flush();
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput() {
        flush();
    }

    @SuppressWarnings("unchecked")
    private void flush() {
        if (buffer.isEmpty()) {
            return;
        }
        T[] batch = buffer.toArray((T[]) Array.newInstance(type, buffer.size()));
        buffer.clear();
        batchNumber++;
        output.collect(new StreamRecord<>(batch));
    }
}
