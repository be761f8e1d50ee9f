package io.personalize.udfs.segment;

import io.personalize.schema.ModelStatus;
import io.personalize.udfs.features.FeaturizedEvent;
import io.personalize.udfs.model.ModelOutput;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.model.ModelResult;
import java.nio.file.Path;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segmentation model in the stream: RFM cut points from the registry applied to the user's
 * features. A few comparisons, so it needs no batching or async I/O; without a model the result
 * says UNAVAILABLE.
 */
public class SegmentCustomers extends RichMapFunction<FeaturizedEvent, ModelOutput> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SegmentCustomers.class);

    private final String modelsDir;
    private transient CustomerSegments segments;
    private transient String version;
    private transient String unavailableReason;

    public SegmentCustomers(String modelsDir) {
        this.modelsDir = modelsDir;
    }

    @Override
    public void open(OpenContext openContext) {
        try {
            ModelRegistry.ModelVersion current =
                    new ModelRegistry(Path.of(modelsDir)).current(CustomerSegments.MODEL, CustomerSegments.FEATURES);
            segments = CustomerSegments.read(current.file());
            version = current.version();
        } catch (Exception e) {
            version = "none";
            unavailableReason = e.getClass().getSimpleName() + ": " + e.getMessage();
            LOG.error("Model {} is unavailable: {}", CustomerSegments.MODEL, unavailableReason, e);
        }
    }

    @Override
    public ModelOutput map(FeaturizedEvent featurized) {
        if (segments == null) {
            return ModelOutput.result(featurized, ModelResult.failed(CustomerSegments.MODEL, version,
                    ModelStatus.UNAVAILABLE, unavailableReason, 0));
        }
        int segment = segments.segmentOf(featurized.features);
        ModelResult result = ModelResult.ok(CustomerSegments.MODEL, version, segment, 0);
        result.label = CustomerSegments.NAMES.get(segment);
        return ModelOutput.result(featurized, result);
    }
}
