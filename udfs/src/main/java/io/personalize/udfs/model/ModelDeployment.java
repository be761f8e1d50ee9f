package io.personalize.udfs.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which version of a model the control topic deployed, and the shadow version beside it, if any.
 * Kept in broadcast state by {@link DeployModels} (a POJO) and stamped onto every event as JSON,
 * so each scoring subtask switches when the stamp it sees changes.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public class ModelDeployment {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<TreeMap<String, ModelDeployment>> MAP = new TypeReference<>() {};

    public String model;
    public Version live;
    public Version shadow;

    public ModelDeployment() {}

    /** One version at a location, with the checksum its model file must have. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class Version {
        public String version;
        public String location;
        public String sha256;
        public String requestId;

        public Version() {}

        public static Version of(String version, String location, String sha256, String requestId) {
            Version v = new Version();
            v.version = version;
            v.location = location;
            v.sha256 = sha256;
            v.requestId = requestId;
            return v;
        }

        public boolean sameAs(Version other) {
            return other != null && version.equals(other.version) && location.equals(other.location);
        }
    }

    public static String stamp(Map<String, ModelDeployment> byModel) {
        if (byModel.isEmpty()) {
            return null;
        }
        try {
            return JSON.writeValueAsString(new TreeMap<>(byModel));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Map<String, ModelDeployment> parse(String stamp) {
        if (stamp == null) {
            return Map.of();
        }
        try {
            return JSON.readValue(stamp, MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable model deployment stamp: " + e.getMessage(), e);
        }
    }
}
