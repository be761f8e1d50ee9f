package io.personalize.jobs.tools;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The benchmark's plot (PNG, drawn with Java2D so nothing else is needed): event-to-decision latency
 * by percentile at each load, and, after a soak run, p99 latency and the TaskManager's memory per minute.
 */
final class BenchPlot {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd)};
    private static final double[] PERCENTILES = {0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999};
    private static final int PANEL_WIDTH = 640;
    private static final int HEIGHT = 440;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    /** One load level: its label and its latencies (µs, sorted). */
    record Load(String label, long[] sortedMicros) {}

    /** One minute of a soak run. */
    record Minute(int minute, double p50Ms, double p99Ms, double heapMib, double rssMib) {}

    private BenchPlot() {}

    static void write(Path file, List<Load> loads, List<Minute> soak) throws IOException {
        int panels = soak.isEmpty() ? 1 : 2;
        BufferedImage image = new BufferedImage(PANEL_WIDTH * panels, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        percentilePanel(g, loads);
        if (!soak.isEmpty()) {
            g.translate(PANEL_WIDTH, 0);
            soakPanel(g, soak);
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    /** Latency (log scale) against the percentile, spaced by nines: 50, 90, 99, 99.9 ... */
    private static void percentilePanel(Graphics2D g, List<Load> loads) {
        double maxMs = 1;
        for (Load load : loads) {
            maxMs = Math.max(maxMs, load.sortedMicros()[load.sortedMicros().length - 1] / 1e3);
        }
        double yMax = Math.pow(10, Math.ceil(Math.log10(maxMs)));
        double yMin = 1;
        Axes axes = new Axes(nines(PERCENTILES[0]), nines(PERCENTILES[PERCENTILES.length - 1]),
                Math.log10(yMin), Math.log10(yMax));
        title(g, "Event-to-decision latency by percentile");
        for (double q : PERCENTILES) {
            int x = axes.x(nines(q));
            tick(g, x, HEIGHT - BOTTOM, String.format(Locale.ROOT, "p%s", trim(q * 100)), true);
        }
        for (double v = yMin; v <= yMax; v *= 10) {
            tick(g, LEFT, axes.y(Math.log10(v)), String.format(Locale.ROOT, "%s ms", trim(v)), false);
        }
        axisLabels(g, "percentile", "latency (ms, log)");
        for (int i = 0; i < loads.size(); i++) {
            long[] sorted = loads.get(i).sortedMicros();
            g.setColor(COLORS[i % COLORS.length]);
            g.setStroke(new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (int step = 0; step <= 200; step++) {
                double n = axes.x0 + (axes.x1 - axes.x0) * step / 200;
                double q = 1 - Math.pow(10, -n);
                double ms = Math.max(yMin, percentile(sorted, q) / 1e3);
                int x = axes.x(n);
                int y = axes.y(Math.log10(ms));
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.drawString(loads.get(i).label(), LEFT + 12, TOP + 18 + 16 * i);
        }
    }

    /** p99 latency and TaskManager memory per minute of the soak run. */
    private static void soakPanel(Graphics2D g, List<Minute> soak) {
        double maxP99 = 1;
        double maxMib = 1;
        for (Minute m : soak) {
            maxP99 = Math.max(maxP99, m.p99Ms());
            maxMib = Math.max(maxMib, Math.max(m.heapMib(), m.rssMib()));
        }
        double yMax = niceCeiling(maxP99);
        double memMax = niceCeiling(maxMib);
        int lastMinute = soak.get(soak.size() - 1).minute();
        Axes axes = new Axes(0, Math.max(1, lastMinute), 0, yMax);
        title(g, "Soak at constant load: p99 latency and TaskManager memory");
        for (int i = 0; i <= 5; i++) {
            tick(g, LEFT, axes.y(yMax * i / 5), String.format(Locale.ROOT, "%s ms", trim(yMax * i / 5)), false);
            g.setColor(Color.DARK_GRAY);
            String mem = String.format(Locale.ROOT, "%s MiB", trim(memMax * i / 5));
            g.drawString(mem, PANEL_WIDTH - RIGHT - g.getFontMetrics().stringWidth(mem) - 2, axes.y(yMax * i / 5) - 2);
        }
        for (int m = 0; m <= lastMinute; m += Math.max(1, lastMinute / 10)) {
            tick(g, axes.x(m), HEIGHT - BOTTOM, Integer.toString(m), true);
        }
        axisLabels(g, "minute", "p99 latency (ms); memory (MiB, right)");
        String[] names = {"p99 latency", "p50 latency", "TaskManager heap used", "TaskManager RSS"};
        for (int series = 0; series < names.length; series++) {
            g.setColor(COLORS[series]);
            g.setStroke(new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (Minute m : soak) {
                double value = switch (series) {
                    case 0 -> m.p99Ms();
                    case 1 -> m.p50Ms();
                    case 2 -> m.heapMib() / memMax * yMax;
                    default -> m.rssMib() / memMax * yMax;
                };
                int x = axes.x(m.minute());
                int y = axes.y(Math.max(0, value));
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 2, y - 2, 5, 5);
                px = x;
                py = y;
            }
            g.drawString(names[series], LEFT + 12, TOP + 18 + 16 * series);
        }
    }

    private record Axes(double x0, double x1, double y0, double y1) {
        int x(double v) {
            return LEFT + (int) Math.round((v - x0) / (x1 - x0) * (PANEL_WIDTH - LEFT - RIGHT));
        }

        int y(double v) {
            return HEIGHT - BOTTOM - (int) Math.round((v - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM));
        }
    }

    private static void title(Graphics2D g, String title) {
        g.setColor(Color.BLACK);
        g.drawString(title, LEFT, TOP - 16);
        g.setColor(Color.GRAY);
        g.drawRect(LEFT, TOP, PANEL_WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    }

    private static void axisLabels(Graphics2D g, String x, String y) {
        g.setColor(Color.BLACK);
        g.drawString(x, LEFT + (PANEL_WIDTH - LEFT - RIGHT) / 2 - g.getFontMetrics().stringWidth(x) / 2, HEIGHT - 18);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(y, -(TOP + (HEIGHT - TOP - BOTTOM) / 2 + g.getFontMetrics().stringWidth(y) / 2), 14);
        rotated.dispose();
    }

    private static void tick(Graphics2D g, int x, int y, String label, boolean onXAxis) {
        g.setColor(new Color(0xe0e0e0));
        if (onXAxis) {
            g.drawLine(x, TOP, x, HEIGHT - BOTTOM);
            g.setColor(Color.BLACK);
            g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, y + 16);
        } else {
            g.drawLine(LEFT, y, PANEL_WIDTH - RIGHT, y);
            g.setColor(Color.BLACK);
            g.drawString(label, x - g.getFontMetrics().stringWidth(label) - 4, y + 4);
        }
    }

    private static double nines(double q) {
        return -Math.log10(1 - q);
    }

    static double percentile(long[] sorted, double q) {
        int index = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, index)];
    }

    private static double niceCeiling(double v) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (step * magnitude >= v) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
