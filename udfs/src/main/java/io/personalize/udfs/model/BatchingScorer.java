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
 * the previous batch ran goes into the next one (up to {@code maxBatch} rows), so the batch size follows
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
    private volatile boolean accepting = true;
    private volatile boolean busy;

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
        return new BatchingScorer(criteria(version, new XgbBatchTranslator()).loadModel(), maxBatch, queueCapacity,
                batchSizeListener, threadName);
    }

    /** How DJL loads the version's model file, scoring batches through the given translator. */
    static Criteria<float[][], float[]> criteria(ModelRegistry.ModelVersion version, XgbBatchTranslator translator) {
        String file = version.metadata().file;
        return Criteria.builder()
                .setTypes(float[][].class, float[].class)
                .optModelPath(version.dir())
                .optModelName(file.substring(0, file.lastIndexOf('.')))
                .optEngine(version.metadata().engine)
                .optTranslator(translator)
                .build();
    }

    /**
     * Loads the version and scores an all-missing row of its width: a file that DJL cannot load or
     * that answers with the wrong shape or a non-finite score is rejected before anything switches to it.
     */
    public static void probe(ModelRegistry.ModelVersion version) throws Exception {
        int width = version.metadata().featureNames == null ? 0 : version.metadata().featureNames.size();
        if (width == 0) {
            throw new ModelRejectedException(version.dir() + ": metadata lists no feature names");
        }
        float[] row = new float[width];
        java.util.Arrays.fill(row, Float.NaN);
        try (BatchingScorer scorer = open(version, 1, 1, n -> { }, "probe-" + version.name())) {
            float[] scores = scorer.scoreNow(new float[][] {row, row});
            if (scores.length != 2 || !Float.isFinite(scores[0])) {
                throw new ModelRejectedException(version.dir() + ": a probe of 2 rows gave "
                        + java.util.Arrays.toString(scores));
            }
        } catch (ModelRejectedException e) {
            throw e;
        } catch (Exception | LinkageError e) {
            throw new ModelRejectedException(version.dir() + ": cannot be served: " + e);
        }
    }

    /**
     * Stops taking requests, lets the queued ones finish, then closes (on a thread of its own, so a
     * switch to a new version never waits for the old one's backlog).
     */
    public void closeWhenDrained() {
        accepting = false;
        Thread drain = new Thread(() -> {
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((!queue.isEmpty() || busy) && System.nanoTime() < giveUp) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            try {
                close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, worker.getName() + "-drain");
        drain.setDaemon(true);
        drain.start();
    }

    /**
     * Completes with one score per row, or exceptionally when the queue is full or the model fails.
     * The rows of one request always go into the same batch.
     */
    public CompletableFuture<float[]> scoreRows(float[][] rows) {
        Request request = new Request(rows);
        if (!running || !accepting || !queue.offer(request)) {
            request.result.completeExceptionally(new RejectedExecutionException(
                    running && accepting ? "scoring queue is full" : "scorer is closed"));
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
        List<Request> batch = new ArrayList<>();
        while (running) {
            try {
                Request first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                busy = true;
                batch.add(first);
                int rowCount = first.rows.length;
                Request next;
                while (rowCount < maxBatch && (next = queue.peek()) != null && rowCount + next.rows.length <= maxBatch) {
                    batch.add(queue.poll());
                    rowCount += next.rows.length;
                }
                float[][] rows = new float[rowCount][];
                int at = 0;
                for (Request request : batch) {
                    System.arraycopy(request.rows, 0, rows, at, request.rows.length);
                    at += request.rows.length;
                }
                try {
                    float[] scores = scoreNow(rows);
                    at = 0;
                    for (Request request : batch) {
                        request.result.complete(java.util.Arrays.copyOfRange(scores, at, at + request.rows.length));
                        at += request.rows.length;
                    }
                } catch (Exception | LinkageError e) {
                    scoreOneByOne(batch, e);
                }
                batchSizeListener.accept(rowCount);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
                busy = false;
            }
        }
    }

    /** After a batch failed: each request alone, so one bad request does not fail the others. */
    private void scoreOneByOne(List<Request> batch, Throwable batchError) {
        if (batch.size() == 1) {
            batch.get(0).result.completeExceptionally(batchError);
            return;
        }
        for (Request request : batch) {
            try {
                request.result.complete(scoreNow(request.rows));
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
        final float[][] rows;
        final CompletableFuture<float[]> result = new CompletableFuture<>();

        Request(float[][] rows) {
            this.rows = rows;
        }
    }
}
