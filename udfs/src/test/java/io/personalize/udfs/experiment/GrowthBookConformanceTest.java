package io.personalize.udfs.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.personalize.udfs.TestEvents;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every case of GrowthBook's cross-SDK conformance file (../shared/conformance/growthbook/cases.json). */
class GrowthBookConformanceTest {
    private static JsonNode cases;

    @BeforeAll
    static void load() throws IOException {
        cases = new ObjectMapper().readTree(
                TestEvents.sharedDir().resolve("conformance/growthbook/cases.json").toFile());
    }

    private static Stream<Arguments> section(String name) throws IOException {
        load();
        List<Arguments> out = new ArrayList<>();
        cases.get(name).forEach(c -> out.add(Arguments.of(c)));
        assertThat(out).as("cases in section " + name).isNotEmpty();
        return out.stream();
    }

    static Stream<Arguments> hashCases() throws IOException {
        return section("hash");
    }

    static Stream<Arguments> bucketRangeCases() throws IOException {
        return section("getBucketRange");
    }

    static Stream<Arguments> chooseVariationCases() throws IOException {
        return section("chooseVariation");
    }

    static Stream<Arguments> namespaceCases() throws IOException {
        return section("inNamespace");
    }

    static Stream<Arguments> equalWeightCases() throws IOException {
        return section("getEqualWeights");
    }

    @ParameterizedTest
    @MethodSource("hashCases")
    void hash(JsonNode c) {
        Double actual = GrowthBookHashing.hash(c.get(0).asText(), c.get(1).asText(), c.get(2).asInt());
        if (c.get(3).isNull()) {
            assertThat(actual).isNull();
        } else {
            assertThat(actual).isCloseTo(c.get(3).asDouble(), within(1e-9));
        }
    }

    @ParameterizedTest
    @MethodSource("bucketRangeCases")
    void bucketRanges(JsonNode c) {
        JsonNode args = c.get(1);
        double[] weights = null;
        if (!args.get(2).isNull()) {
            weights = new double[args.get(2).size()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = args.get(2).get(i).asDouble();
            }
        }
        List<double[]> ranges = GrowthBookHashing.bucketRanges(args.get(0).asInt(), args.get(1).asDouble(), weights);
        JsonNode expected = c.get(2);
        assertThat(ranges).as(c.get(0).asText()).hasSize(expected.size());
        for (int i = 0; i < ranges.size(); i++) {
            assertThat(ranges.get(i)[0]).isCloseTo(expected.get(i).get(0).asDouble(), within(1e-9));
            assertThat(ranges.get(i)[1]).isCloseTo(expected.get(i).get(1).asDouble(), within(1e-9));
        }
    }

    @ParameterizedTest
    @MethodSource("chooseVariationCases")
    void chooseVariation(JsonNode c) {
        List<double[]> ranges = new ArrayList<>();
        c.get(2).forEach(r -> ranges.add(new double[] {r.get(0).asDouble(), r.get(1).asDouble()}));
        assertThat(GrowthBookHashing.chooseVariation(c.get(1).asDouble(), ranges)).as(c.get(0).asText())
                .isEqualTo(c.get(3).asInt());
    }

    @ParameterizedTest
    @MethodSource("namespaceCases")
    void inNamespace(JsonNode c) {
        JsonNode ns = c.get(2);
        assertThat(GrowthBookHashing.inNamespace(c.get(1).asText(), ns.get(0).asText(), ns.get(1).asDouble(),
                ns.get(2).asDouble())).as(c.get(0).asText()).isEqualTo(c.get(3).asBoolean());
    }

    @ParameterizedTest
    @MethodSource("equalWeightCases")
    void equalWeights(JsonNode c) {
        double[] actual = GrowthBookHashing.equalWeights(c.get(0).asInt());
        assertThat(actual).hasSize(c.get(1).size());
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).isCloseTo(c.get(1).get(i).asDouble(), within(1e-8));
        }
    }

    /**
     * Non-ASCII ids: GrowthBook hashes UTF-16 code units. Expected values computed with the
     * JavaScript SDK's algorithm (charCodeAt, FNV-1a 32) independently of this code.
     */
    @Test
    void nonAsciiIdsHashByUtf16CodeUnits() {
        assertThat(GrowthBookHashing.hash("exp", "José", 2)).isCloseTo(JsReference.hash("exp", "José", 2), within(1e-12));
        assertThat(GrowthBookHashing.hash("", "ユーザー", 1)).isCloseTo(JsReference.hash("", "ユーザー", 1), within(1e-12));
        assertThat(GrowthBookHashing.hash("s", "user-😀", 2)).isCloseTo(JsReference.hash("s", "user-😀", 2), within(1e-12));
        // and they differ from hashing the UTF-8 bytes, which the GrowthBook Java SDK does
        assertThat(GrowthBookHashing.fnv1a32("José")).isNotEqualTo(JsReference.fnvOverUtf8("José"));
    }

    @Test
    void nonAsciiValuesPinned() {
        // computed by a Python transcription of the JavaScript SDK (UTF-16 code units), not by this code
        assertThat(GrowthBookHashing.hash("exp", "José", 2)).isCloseTo(0.2831, within(1e-12));
        assertThat(GrowthBookHashing.hash("", "ユーザー", 1)).isCloseTo(0.117, within(1e-12));
        assertThat(GrowthBookHashing.hash("s", "user-😀", 2)).isCloseTo(0.4483, within(1e-12));
        assertThat(GrowthBookHashing.hash("personalization-v1", "Zoë", 2)).isCloseTo(0.0701, within(1e-12));
        assertThat(GrowthBookHashing.fnv1a32("é")).isEqualTo(1812687940L);
    }

    /** A second, literal transcription of the JavaScript SDK's hashFnv32a, kept apart from the production code. */
    static final class JsReference {
        static long fnvOverCodeUnits(String s) {
            long hval = 0x811c9dc5L;
            for (int i = 0; i < s.length(); i++) {
                hval ^= s.charAt(i);
                hval += (hval << 1) + (hval << 4) + (hval << 7) + (hval << 8) + (hval << 24);
                hval &= 0xffffffffL;
            }
            return hval;
        }

        static long fnvOverUtf8(String s) {
            long hval = 0x811c9dc5L;
            for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                hval ^= (b & 0xff);
                hval += (hval << 1) + (hval << 4) + (hval << 7) + (hval << 8) + (hval << 24);
                hval &= 0xffffffffL;
            }
            return hval;
        }

        static double hash(String seed, String value, int version) {
            if (version == 2) {
                return (fnvOverCodeUnits(Long.toString(fnvOverCodeUnits(seed + value))) % 10000) / 10000.0;
            }
            return (fnvOverCodeUnits(value + seed) % 1000) / 1000.0;
        }
    }
}
