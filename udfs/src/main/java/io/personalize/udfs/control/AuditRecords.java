package io.personalize.udfs.control;

import io.personalize.schema.AuditRecord;
import io.personalize.schema.ControlEvent;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.flink.util.OutputTag;

/** Builders of the audit topic's records, and the side output operators put them on. */
public final class AuditRecords {
    public static final OutputTag<AuditRecord> AUDIT = new OutputTag<>("audit") {};
    public static final String USER_ERASED = "USER_ERASED";
    public static final String CONTROL_REJECTED = "CONTROL_REJECTED";

    private AuditRecords() {}

    /** A record of what {@code component} did for a control request; its id is the same on every replay. */
    public static AuditRecord of(String kind, String component, ControlEvent request, String detail) {
        return AuditRecord.newBuilder()
                .setAuditId(UUID.nameUUIDFromBytes((kind + "/" + component + "/" + request.getRequestId())
                        .getBytes(StandardCharsets.UTF_8)).toString())
                .setKind(kind)
                .setComponent(component)
                .setUserId(request.getUserId())
                .setRequestId(request.getRequestId())
                .setRequestedBy(request.getRequestedBy())
                .setDetail(detail)
                .setProcessedAt(System.currentTimeMillis())
                .build();
    }
}
