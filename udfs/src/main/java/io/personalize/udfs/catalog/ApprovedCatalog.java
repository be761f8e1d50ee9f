package io.personalize.udfs.catalog;

import com.fasterxml.jackson.core.type.TypeReference;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.model.ModelRejectedException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The items that may be recommended, each with the description that may be shown for it. */
public final class ApprovedCatalog implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String MODEL_NAME = "catalog";
    static final String FILE = "catalog.json";

    private final String version;
    private final HashMap<String, String> descriptions;

    public ApprovedCatalog(String version, Map<String, String> descriptions) {
        this.version = version;
        this.descriptions = new HashMap<>(descriptions);
    }

    /** The current version in the registry; an IOException naming the path and the fix when it is missing or corrupt. */
    public static ApprovedCatalog load(Path modelsDir) throws IOException {
        return CurrentArtifact.load(modelsDir, MODEL_NAME, "approved catalog", current -> {
            List<Item> items = ModelRegistry.json().readValue(current.file().toFile(), new TypeReference<>() {});
            Map<String, String> descriptions = new HashMap<>();
            for (Item item : items) {
                if (item.itemId() == null || item.description() == null || item.description().isBlank()) {
                    throw new ModelRejectedException(current.file() + ": an item without id or description: " + item);
                }
                descriptions.put(item.itemId(), item.description());
            }
            if (descriptions.isEmpty()) {
                throw new ModelRejectedException(current.file() + " holds no items");
            }
            return new ApprovedCatalog(current.version(), descriptions);
        });
    }

    public String version() {
        return version;
    }

    public boolean approved(String itemId) {
        return descriptions.containsKey(itemId);
    }

    /** The item's description, or null when the item is not in the catalog. */
    public String description(String itemId) {
        return descriptions.get(itemId);
    }

    public int size() {
        return descriptions.size();
    }

    /** One line of the catalog artifact. */
    public record Item(String itemId, String description) {}
}
