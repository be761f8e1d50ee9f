package io.personalize.jobs.tools;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.apache.commons.math3.stat.regression.SimpleRegression;

/**
 * Whether latency or memory grew over a soak run: a least-squares line through the per-minute
 * figures (the first minute, still warming up, left out). Growth means a slope significant at 1%
 * that adds more than 20% of the mean over the run.
 */
record SoakTrend(double p99First, double p99Last, double p99SlopePerMinute, boolean p99Grows,
        double heapFirst, double heapLast, double heapSlopePerMinute, boolean heapGrows) {
    private static final double SIGNIFICANCE = 0.01;
    private static final double MATERIAL_SHARE = 0.2;

    static SoakTrend of(List<BenchPlot.Minute> minutes) {
        List<BenchPlot.Minute> steady = minutes.size() > 2 ? minutes.subList(1, minutes.size()) : minutes;
        Line p99 = Line.fit(steady, BenchPlot.Minute::p99Ms);
        Line heap = Line.fit(steady, BenchPlot.Minute::heapMib);
        return new SoakTrend(p99.first, p99.last, p99.slope, p99.grows, heap.first, heap.last, heap.slope, heap.grows);
    }

    boolean grows() {
        return p99Grows || heapGrows;
    }

    String describe() {
        if (Double.isNaN(p99First)) {
            return "soak trend: too few minutes to fit one (it needs 4 or more; the first is left out)";
        }
        return String.format(Locale.ROOT, "soak trend (least squares from minute 2): p99 %.1f -> %.1f ms (%+.2f ms/min, %s); "
                        + "heap after collection %.0f -> %.0f MiB (%+.2f MiB/min, %s)", p99First, p99Last,
                p99SlopePerMinute, p99Grows ? "GROWS" : "no growth", heapFirst, heapLast, heapSlopePerMinute,
                heapGrows ? "GROWS" : "no growth");
    }

    private record Line(double first, double last, double slope, boolean grows) {
        static Line fit(List<BenchPlot.Minute> minutes, ToDoubleFunction<BenchPlot.Minute> value) {
            SimpleRegression regression = new SimpleRegression();
            double sum = 0;
            int n = 0;
            for (BenchPlot.Minute m : minutes) {
                double v = value.applyAsDouble(m);
                if (Double.isFinite(v) && v >= 0) {
                    regression.addData(m.minute(), v);
                    sum += v;
                    n++;
                }
            }
            if (n < 3) {
                return new Line(Double.NaN, Double.NaN, Double.NaN, false);
            }
            double firstMinute = minutes.get(0).minute();
            double lastMinute = minutes.get(minutes.size() - 1).minute();
            double slope = regression.getSlope();
            boolean grows = slope > 0 && regression.getSignificance() < SIGNIFICANCE
                    && slope * (lastMinute - firstMinute) > MATERIAL_SHARE * (sum / n);
            return new Line(regression.predict(firstMinute), regression.predict(lastMinute), slope, grows);
        }
    }
}
