package io.personalize.udfs.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A whole micro-batch (rows x features) in, one score per row out. The rows go to XGBoost through
 * a direct buffer this translator owns and reuses. DJL's own {@code NDManager.create(float[][])}
 * hands XGBoost the address of a direct buffer that nothing references during the native call, so
 * the garbage collector could free it while XGBoost was still reading it: the JVM died with SIGSEGV
 * in {@code SparsePage::Push} after about a million rows in the models benchmark.
 */
public class XgbBatchTranslator implements Translator<float[][], float[]> {
    private ByteBuffer buffer;

    @Override
    public NDList processInput(TranslatorContext ctx, float[][] rows) {
        int width = rows.length == 0 ? 0 : rows[0].length;
        int bytes = rows.length * width * Float.BYTES;
        if (buffer == null || buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(Math.max(bytes, 64 * 1024)).order(ByteOrder.nativeOrder());
        }
        ByteBuffer data = buffer.duplicate().order(ByteOrder.nativeOrder());
        data.clear().limit(bytes);
        FloatBuffer floats = data.asFloatBuffer();
        for (float[] row : rows) {
            if (row.length != width) {
                throw new IllegalArgumentException("rows of " + row.length + " and " + width + " features in one batch");
            }
            floats.put(row);
        }
        // arrays made on the context's manager are freed after each batch; XGBoost copies the data
        // into its own matrix while create runs, and the buffer is reachable until then
        NDList input = new NDList(ctx.getNDManager().create(data, new Shape(rows.length, width), DataType.FLOAT32));
        Reference.reachabilityFence(data);
        return input;
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
