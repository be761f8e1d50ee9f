package io.personalize.udfs.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * A whole micro-batch (rows x features) in, one score per row out. A NaN cell is a missing value,
 * as in training.
 *
 * <p>Dense batches go to XGBoost through a direct buffer this translator owns and reuses. DJL's own
 * {@code NDManager.create(float[][])} hands XGBoost the address of a direct buffer that nothing
 * references during the native call, so the garbage collector could free it while XGBoost was still
 * reading it: the JVM died with SIGSEGV in {@code SparsePage::Push} after about a million rows in the
 * models benchmark.
 *
 * <p>Mostly-missing batches (hashed text n-grams: a sentence sets a few dozen of 4,096 columns) go as
 * a CSR matrix of the present cells, which XGBoost reads without touching the missing ones: the same
 * scores, several times faster per row. DJL 0.35's {@code XgbNDManager.createCSR} cannot be used:
 * it passes 0 columns to XGBoost 3.0, which then refuses the matrix. So xgboost4j's CSR matrix is made
 * with the column count, and its handle handed to DJL as DJL's own array type, which frees it.
 */
public class XgbBatchTranslator implements Translator<float[][], float[]> {
    /** Batches with at most this share of present cells are sent as CSR. */
    public static final double MAX_DENSITY_FOR_CSR = 0.25;

    private static final MethodHandle XGB_ARRAY = xgbArrayConstructor();

    private final double maxDensityForCsr;
    private ByteBuffer buffer;

    public XgbBatchTranslator() {
        this(MAX_DENSITY_FOR_CSR);
    }

    /** @param maxDensityForCsr batches with at most this share of present cells go as CSR (0: never, 1: always) */
    public XgbBatchTranslator(double maxDensityForCsr) {
        this.maxDensityForCsr = maxDensityForCsr;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, float[][] rows) {
        int width = rows.length == 0 ? 0 : rows[0].length;
        long present = 0;
        for (float[] row : rows) {
            if (row.length != width) {
                throw new IllegalArgumentException("rows of " + row.length + " and " + width + " features in one batch");
            }
            for (float cell : row) {
                if (!Float.isNaN(cell)) {
                    present++;
                }
            }
        }
        long cells = (long) rows.length * width;
        if (cells > 0 && present <= maxDensityForCsr * cells) {
            return new NDList(csr(ctx.getNDManager(), rows, width, (int) present));
        }
        return new NDList(dense(ctx.getNDManager(), rows, width));
    }

    private NDArray dense(NDManager manager, float[][] rows, int width) {
        int bytes = rows.length * width * Float.BYTES;
        if (buffer == null || buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(Math.max(bytes, 64 * 1024)).order(ByteOrder.nativeOrder());
        }
        ByteBuffer data = buffer.duplicate().order(ByteOrder.nativeOrder());
        data.clear().limit(bytes);
        FloatBuffer floats = data.asFloatBuffer();
        for (float[] row : rows) {
            floats.put(row);
        }
        // arrays made on the context's manager are freed after each batch; XGBoost copies the data
        // into its own matrix while create runs, and the buffer is reachable until then
        NDArray array = manager.create(data, new Shape(rows.length, width), DataType.FLOAT32);
        Reference.reachabilityFence(data);
        return array;
    }

    private static NDArray csr(NDManager manager, float[][] rows, int width, int present) {
        long[] rowStarts = new long[rows.length + 1];
        int[] columns = new int[present];
        float[] values = new float[present];
        int at = 0;
        for (int r = 0; r < rows.length; r++) {
            float[] row = rows[r];
            for (int c = 0; c < width; c++) {
                if (!Float.isNaN(row[c])) {
                    columns[at] = c;
                    values[at++] = row[c];
                }
            }
            rowStarts[r + 1] = at;
        }
        long handle;
        try {
            handle = new HandedOverMatrix(rowStarts, columns, values, width).handOver();
        } catch (XGBoostError e) {
            throw new IllegalStateException("XGBoost refused a CSR matrix of " + rows.length + " x " + width, e);
        }
        try {
            return (NDArray) XGB_ARRAY.invoke(manager, manager, handle, new Shape(rows.length, width), SparseFormat.CSR);
        } catch (Throwable e) {
            new HandedOverMatrix(handle).dispose();
            throw new IllegalStateException("could not wrap an XGBoost matrix as a DJL array", e);
        }
    }

    /** An xgboost4j matrix whose native handle changes owner: after {@link #handOver()} it frees nothing. */
    private static final class HandedOverMatrix extends DMatrix {
        HandedOverMatrix(long[] rowStarts, int[] columns, float[] values, int width) throws XGBoostError {
            super(rowStarts, columns, values, DMatrix.SparseType.CSR, width, Float.NaN, 1);
        }

        /** Takes ownership of a handle, to free it. */
        HandedOverMatrix(long handle) {
            super(handle);
        }

        long handOver() {
            long owned = handle;
            handle = 0;
            return owned;
        }
    }

    /** DJL's array over an XGBoost matrix handle (package-private in DJL; it owns and frees the handle). */
    private static MethodHandle xgbArrayConstructor() {
        try {
            Class<?> type = Class.forName("ai.djl.ml.xgboost.XgbNDArray");
            var constructor = type.getDeclaredConstructor(
                    NDManager.class, NDManager.class, long.class, Shape.class, SparseFormat.class);
            constructor.setAccessible(true);
            return MethodHandles.lookup().unreflectConstructor(constructor).asType(MethodType.methodType(
                    NDArray.class, NDManager.class, NDManager.class, long.class, Shape.class, SparseFormat.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        return list.singletonOrThrow().toFloatArray();
    }

    @Override
    public Batchifier getBatchifier() {
        return null;
    }
}
