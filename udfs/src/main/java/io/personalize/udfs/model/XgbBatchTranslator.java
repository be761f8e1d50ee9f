package io.personalize.udfs.model;

import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/** A whole micro-batch (rows x features) in, one score per row out. */
public class XgbBatchTranslator implements Translator<float[][], float[]> {
    @Override
    public NDList processInput(TranslatorContext ctx, float[][] rows) {
        // arrays made on the context's manager are freed after each batch
        return new NDList(ctx.getNDManager().create(rows));
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
