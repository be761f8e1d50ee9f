package io.personalize.udfs.catalog;

import io.personalize.udfs.model.ModelMetadata;
import io.personalize.udfs.model.ModelRegistry;
import io.personalize.udfs.training.OnlineRetailEvents;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Builds the approved catalog from UCI Online Retail invoice lines: every StockCode that is a
 * product, described by its most frequent description on lines sold at a price. A code left out is
 * counted under the first {@link Exclusion} that applies to it.
 */
public final class CatalogBuilder {
    /** Why a StockCode is not in the catalog, in the order the rules are tried. */
    public enum Exclusion {
        /**
         * The retailer numbers its products with five digits, variants with letters after them (85123A),
         * and its dotcom gift shop's products DCGS...; the other codes on its invoices are postage and
         * carriage (POST, DOT, C2), fees (AMAZONFEE, BANK CHARGES, CRUK), adjustments (M, D, B, S, PADS)
         * and gift vouchers (gift_0001_10 ...).
         */
        NOT_A_PRODUCT_CODE,
        /** A service invoiced under a product number. */
        SERVICE,
        /**
         * No description on any line sold at a price. Stock adjustments are invoiced at price 0 with a
         * note where the description goes ("damaged", "?", "check", "wrongly marked", "thrown away") or
         * with "Unknown": a code seen only on such lines was never offered for sale.
         */
        NO_DESCRIPTION
    }

    private static final Pattern PRODUCT_CODE = Pattern.compile("\\d{5}[A-Za-z]*|DCGS\\w+");
    /** 23444 "Next Day Carriage", 23702 "High Resolution Image". */
    private static final Set<String> SERVICES = Set.of("23444", "23702");
    /** The data's stand-in for an empty description. */
    private static final String UNKNOWN = "Unknown";

    /** The catalog's descriptions by item, and the codes each rule left out. */
    public record Result(SortedMap<String, String> descriptions, Map<Exclusion, List<String>> excluded) {}

    /** Every code seen, with how often each description stood on its lines sold at a price. */
    private final Map<String, Map<String, Integer>> pricedDescriptions = new TreeMap<>();

    public static CatalogBuilder read(Path onlineRetail) throws IOException {
        CatalogBuilder builder = new CatalogBuilder();
        try (CSVParser lines = OnlineRetailEvents.lines(onlineRetail)) {
            for (CSVRecord line : lines) {
                builder.add(line.get("StockCode"), line.get("Description"),
                        Double.parseDouble(line.get("UnitPrice").trim()));
            }
        }
        return builder;
    }

    /** One invoice line; the code is the item id the events carry (trimmed, case kept). */
    public CatalogBuilder add(String stockCode, String description, double unitPrice) {
        Map<String, Integer> counts = pricedDescriptions.computeIfAbsent(stockCode.trim(), code -> new HashMap<>());
        String text = description.strip().replaceAll("\\s+", " "); // "LUNCH BAG SUKI  DESIGN" is LUNCH BAG SUKI DESIGN
        if (unitPrice > 0 && !text.isEmpty() && !text.equals(UNKNOWN)) {
            counts.merge(text, 1, Integer::sum);
        }
        return this;
    }

    public Result build() {
        SortedMap<String, String> descriptions = new TreeMap<>();
        Map<Exclusion, List<String>> excluded = new EnumMap<>(Exclusion.class);
        for (Exclusion rule : Exclusion.values()) {
            excluded.put(rule, new ArrayList<>());
        }
        pricedDescriptions.forEach((code, counts) -> {
            Exclusion rule = exclusion(code, counts);
            if (rule == null) {
                descriptions.put(code, mostFrequent(counts));
            } else {
                excluded.get(rule).add(code);
            }
        });
        return new Result(descriptions, excluded);
    }

    private static Exclusion exclusion(String code, Map<String, Integer> pricedDescriptions) {
        if (!PRODUCT_CODE.matcher(code).matches()) {
            return Exclusion.NOT_A_PRODUCT_CODE;
        }
        if (SERVICES.contains(code)) {
            return Exclusion.SERVICE;
        }
        return pricedDescriptions.isEmpty() ? Exclusion.NO_DESCRIPTION : null;
    }

    /** Ties go to the alphabetically first description, so the same data always gives the same catalog. */
    private static String mostFrequent(Map<String, Integer> counts) {
        return counts.entrySet().stream()
                .max(Map.Entry.<String, Integer>comparingByValue()
                        .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
                .orElseThrow().getKey();
    }

    /** Writes the catalog as a new version of {@value ApprovedCatalog#MODEL_NAME} and makes it current. */
    public static ApprovedCatalog publish(ModelRegistry registry, String version, String dataName, Result result)
            throws IOException {
        Path file = registry.versionDir(ApprovedCatalog.MODEL_NAME, version).resolve(ApprovedCatalog.FILE);
        List<ApprovedCatalog.Item> items = result.descriptions().entrySet().stream()
                .map(item -> new ApprovedCatalog.Item(item.getKey(), item.getValue()))
                .toList();
        ModelRegistry.json().writeValue(file.toFile(), items);
        ModelMetadata metadata = ModelMetadata.of(ApprovedCatalog.MODEL_NAME, version, "table", dataName);
        metadata.metrics = new LinkedHashMap<>();
        metadata.metrics.put("items", (double) items.size());
        result.excluded().forEach((rule, codes) ->
                metadata.metrics.put("excluded_" + rule.name().toLowerCase(Locale.ROOT), (double) codes.size()));
        metadata.params = Map.of("description", "the most frequent on the item's lines sold at a price");
        registry.publish(metadata, file);
        return new ApprovedCatalog(version, result.descriptions());
    }
}
