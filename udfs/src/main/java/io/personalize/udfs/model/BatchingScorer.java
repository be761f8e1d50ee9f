package io.personalize.udfs.model;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Scores rows with one DJL model on one thread, in micro-batches: every request that queued while
 * the previous batch ran goes into the next one (up to {@code maxBatch}), so the batch size follows
 * the load and an idle scorer adds no waiting. DJL predictors are not thread-safe; this owns one.
 */
public final class BatchingScorer implements AutoCloseable {
    private final ZooModel<float[][], float[]> model;
    private final Predictor<float[][], float[]> predictor;
    private final BlockingQueue<Request> queue;
    private final int maxBatch;
    private final IntConsumer batchSizeListener;
    private final Thread worker;
    private volatile boolean running = true;

    private BatchingScorer(ZooModel<float[][], float[]> model, int maxBatch, int queueCapacity,
            IntConsumer batchSizeListener, String threadName) {
        this.model = model;
        this.predictor = model.newPredictor();
        this.maxBatch = maxBatch;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.batchSizeListener = batchSizeListener;
        this.worker = new Thread(this::run, threadName);
        this.worker.setDaemon(true);
        this.worker.start();
    }

    public static BatchingScorer open(ModelRegistry.ModelVersion version, int maxBatch, int queueCapacity,
            IntConsumer batchSizeListener, String threadName) throws Exception {
        String file = version.metadata().file;
        Criteria<float[][], float[]> criteria = Criteria.builder()
                .setTypes(float[][].class, float[].class)
                .optModelPath(version.dir())
                .optModelName(file.substring(0, file.lastIndexOf('.')))
                .optEngine(version.metadata().engine)
                .optTranslator(new XgbBatchTranslator())
                .build();
        return new BatchingScorer(criteria.loadModel(), maxBatch, queueCapacity, batchSizeListener, threadName);
    }

    /** Completes with the row's score, or exceptionally when the queue is full or the model fails. */
    public CompletableFuture<Float> score(float[] row) {
        Request request = new Request(row);
        if (!running || !queue.offer(request)) {
            request.result.completeExceptionally(new RejectedExecutionException(
                    running ? "scoring queue is full" : "scorer is closed"));
        }
        return request.result;
    }

    /** Scores a batch on the caller's thread (for offline scoring and evaluation, not the stream). */
    public float[] scoreNow(float[][] rows) throws Exception {
        synchronized (predictor) {
            return predictor.predict(rows);
        }
    }

    private void run() {
        List<Request> batch = new ArrayList<>(maxBatch);
        while (running) {
            try {
                Request first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                float[][] rows = new float[batch.size()][];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = batch.get(i).row;
                }
                try {
                    float[] scores = scoreNow(rows);
                    for (int i = 0; i < rows.length; i++) {
                        batch.get(i).result.complete(scores[i]);
                    }
                } catch (Exception | LinkageError e) {
                    scoreOneByOne(batch, e);
                }
                batchSizeListener.accept(rows.length);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
    }

    /** After a batch failed: each row alone, so one bad row does not fail the others. */
    private void scoreOneByOne(List<Request> batch, Throwable batchError) {
        if (batch.size() == 1) {
            batch.get(0).result.completeExceptionally(batchError);
            return;
        }
        for (Request request : batch) {
            try {
                request.result.complete(scoreNow(new float[][] {request.row})[0]);
            } catch (Exception | LinkageError e) {
                request.result.completeExceptionally(e);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        worker.interrupt();
        worker.join(5_000);
        Request pending;
        while ((pending = queue.poll()) != null) {
            pending.result.completeExceptionally(new RejectedExecutionException("scorer is closed"));
        }
        synchronized (predictor) {
            predictor.close();
        }
        model.close();
    }

    private static final class Request {
        final float[] row;
        final CompletableFuture<Float> result = new CompletableFuture<>();

        Request(float[] row) {
            this.row = row;
        }
    }
}
