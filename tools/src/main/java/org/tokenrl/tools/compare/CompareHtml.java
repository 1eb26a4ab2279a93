package org.tokenrl.tools.compare;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The HTML page of {@code ./tokenrl compare --html}: the table, and one metric's curves against
 * step, rollout tokens and wall seconds of the RL phase as inline SVG. Step 0 is the end of the SFT
 * warm-up (its evaluation is the curve's first point) and tokens and seconds count from there, so
 * runs whose warm-ups differ in length line up at the start of RL; warm-up rows are left out. One
 * line per group (the mean over its runs) with a band of ± one standard deviation. Self-contained:
 * no scripts, fonts or styles from the network, so it opens offline and can be attached to a
 * report.
 */
public final class CompareHtml {
  private static final String[] COLORS = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#7f7f7f", "#bcbd22"
  };
  private static final int W = 420;
  private static final int H = 280;
  private static final int LEFT = 58;
  private static final int RIGHT = 12;
  private static final int TOP = 12;
  private static final int BOTTOM = 40;

  /** One group's curve: at each step every run logged the metric, the mean x of each axis and y. */
  record Point(double step, double tokens, double seconds, double mean, double std) {
    double x(int axis) {
      return axis == 0 ? step : axis == 1 ? tokens : seconds;
    }
  }

  private CompareHtml() {}

  public static String render(RunComparison report, String markdownTable, String metric) {
    List<List<Point>> curves = new ArrayList<>();
    for (RunComparison.Group g : report.groups()) {
      curves.add(curve(g, metric));
    }
    StringBuilder h = new StringBuilder();
    h.append(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tokenrl compare</title>\n")
        .append("<style>body{font-family:sans-serif;margin:24px;color:#222}")
        .append("table{border-collapse:collapse;font-size:13px}")
        .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
        .append("th{background:#f3f3f3}.band{stroke:none;opacity:0.18}")
        .append(".curve{fill:none;stroke-width:2}.axis{stroke:#444}.grid{stroke:#e5e5e5}")
        .append("svg text{font-size:11px;fill:#333}.legend span{display:inline-block;")
        .append("width:14px;height:4px;margin:0 6px 3px 14px}</style></head><body>\n")
        .append("<h2>tokenrl compare</h2>\n")
        .append(htmlTable(markdownTable))
        .append("<h3>")
        .append(escape(metric))
        .append(": mean over seeds, band ± 1 std</h3>\n<div class=\"legend\">");
    for (int i = 0; i < report.groups().size(); i++) {
      h.append("<span style=\"background:")
          .append(color(i))
          .append("\"></span>")
          .append(escape(label(report, report.groups().get(i))))
          .append(" (")
          .append(report.groups().get(i).runs().size())
          .append(" runs)");
    }
    h.append("</div>\n");
    String[] axes = {
      "RL step (0 = end of the SFT warm-up)",
      "RL rollout tokens (sum of perf/rollout_tokens)",
      "RL wall seconds (sum of perf/time_step)"
    };
    for (int axis = 0; axis < 3; axis++) {
      h.append(panel(curves, axis, axes[axis], metric));
    }
    h.append("\n</body></html>\n");
    return h.toString();
  }

  static List<Point> curve(RunComparison.Group g, String metric) {
    // RL step -> per-run (tokens, seconds, y), kept only where every run of the group has a value
    Map<Long, List<double[]>> byStep = new TreeMap<>();
    for (RunComparison.RunStats rs : g.runs()) {
      long warmup = rs.run().warmupSteps();
      double tokens = 0;
      double seconds = 0;
      for (Map<String, Double> row : rs.run().rows()) {
        long step = row.get("step").longValue() - warmup;
        if (step < 0) {
          continue; // the SFT warm-up
        }
        if (step > 0) {
          tokens += row.getOrDefault(RunComparison.TOKENS, 0.0);
          seconds += row.getOrDefault(RunComparison.SECONDS, 0.0);
        }
        Double y = row.get(metric);
        if (y != null) {
          byStep
              .computeIfAbsent(step, k -> new ArrayList<>())
              .add(new double[] {tokens, seconds, y});
        }
      }
    }
    List<Point> points = new ArrayList<>();
    int runs = g.runs().size();
    byStep.forEach(
        (step, values) -> {
          if (values.size() != runs) {
            return;
          }
          double t = 0;
          double s = 0;
          List<Double> ys = new ArrayList<>();
          for (double[] v : values) {
            t += v[0];
            s += v[1];
            ys.add(v[2]);
          }
          RunComparison.Summary sum = RunComparison.Summary.of(ys);
          double std = Double.isNaN(sum.std()) ? 0 : sum.std();
          points.add(new Point(step, t / runs, s / runs, sum.mean(), std));
        });
    return points;
  }

  private static String panel(List<List<Point>> curves, int axis, String xLabel, String metric) {
    double x0 = Double.POSITIVE_INFINITY;
    double x1 = Double.NEGATIVE_INFINITY;
    double y0 = Double.POSITIVE_INFINITY;
    double y1 = Double.NEGATIVE_INFINITY;
    for (List<Point> c : curves) {
      for (Point p : c) {
        x0 = Math.min(x0, p.x(axis));
        x1 = Math.max(x1, p.x(axis));
        y0 = Math.min(y0, p.mean() - p.std());
        y1 = Math.max(y1, p.mean() + p.std());
      }
    }
    if (x0 == Double.POSITIVE_INFINITY) {
      return "<p>no values of " + escape(metric) + "</p>\n";
    }
    if (x1 == x0) {
      x1 = x0 + 1;
    }
    if (y1 == y0) {
      y1 = y0 + 1;
    }
    double pad = (y1 - y0) * 0.05;
    // The axes run between round numbers, so every tick label is one (0, 50, 100, not 37.5).
    Ticks tx = Ticks.of(x0, x1);
    Ticks ty = Ticks.of(y0 - pad, y1 + pad);
    x0 = tx.from();
    x1 = tx.to();
    y0 = ty.from();
    y1 = ty.to();
    Scale sx = new Scale(x0, x1, LEFT, W - RIGHT);
    Scale sy = new Scale(y0, y1, H - BOTTOM, TOP);
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">%n", W, H, W, H));
    for (double xv : tx.values()) {
      svg.append(line(sx.at(xv), TOP, sx.at(xv), H - BOTTOM, "grid"))
          .append(text(sx.at(xv), H - BOTTOM + 14, "middle", tick(xv)));
    }
    for (double yv : ty.values()) {
      svg.append(line(LEFT, sy.at(yv), W - RIGHT, sy.at(yv), "grid"))
          .append(text(LEFT - 4, sy.at(yv) + 4, "end", tick(yv)));
    }
    svg.append(line(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, "axis"))
        .append(line(LEFT, TOP, LEFT, H - BOTTOM, "axis"))
        .append(text((LEFT + W - RIGHT) / 2.0, H - 6, "middle", xLabel));
    for (int g = 0; g < curves.size(); g++) {
      List<Point> c = curves.get(g);
      if (c.isEmpty()) {
        continue;
      }
      StringBuilder band = new StringBuilder();
      for (int i = 0; i < c.size(); i++) {
        Point p = c.get(i);
        band.append(i == 0 ? "M" : "L").append(xy(sx.at(p.x(axis)), sy.at(p.mean() + p.std())));
      }
      for (int i = c.size() - 1; i >= 0; i--) {
        Point p = c.get(i);
        band.append("L").append(xy(sx.at(p.x(axis)), sy.at(p.mean() - p.std())));
      }
      StringBuilder mean = new StringBuilder();
      for (int i = 0; i < c.size(); i++) {
        Point p = c.get(i);
        mean.append(i == 0 ? "M" : "L").append(xy(sx.at(p.x(axis)), sy.at(p.mean())));
      }
      svg.append("<path class=\"band\" fill=\"")
          .append(color(g))
          .append("\" d=\"")
          .append(band)
          .append("Z\"/>\n");
      svg.append("<path class=\"curve\" stroke=\"")
          .append(color(g))
          .append("\" d=\"")
          .append(mean)
          .append("\"/>\n");
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  /**
   * Axis ticks at round numbers: the smallest step of 1, 2 or 5 × 10^e that gives at most 6
   * intervals, the axis widened to the nearest multiples of it (3 to 8 intervals).
   */
  record Ticks(double from, double to, double step) {
    static Ticks of(double lo, double hi) {
      double raw = (hi - lo) / 5;
      double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
      double step = magnitude;
      for (double m : new double[] {1, 2, 5, 10}) {
        step = m * magnitude;
        if ((hi - lo) / step <= 6) {
          break;
        }
      }
      double from = Math.floor(lo / step + 1e-9) * step;
      double to = Math.ceil(hi / step - 1e-9) * step;
      return new Ticks(from, to, step);
    }

    List<Double> values() {
      List<Double> out = new ArrayList<>();
      long n = Math.round((to - from) / step);
      for (long i = 0; i <= n; i++) {
        double v = from + i * step;
        out.add(Math.abs(v) < step * 1e-9 ? 0.0 : v); // no "-0"
      }
      return out;
    }
  }

  private record Scale(double from, double to, double px0, double px1) {
    double at(double v) {
      return px0 + (v - from) / (to - from) * (px1 - px0);
    }
  }

  private static String line(double x1, double y1, double x2, double y2, String cls) {
    return String.format(
        Locale.ROOT,
        "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>%n",
        cls,
        x1,
        y1,
        x2,
        y2);
  }

  private static String text(double x, double y, String anchor, String s) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>%n",
        x,
        y,
        anchor,
        escape(s));
  }

  private static String xy(double x, double y) {
    return String.format(Locale.ROOT, "%.1f,%.1f", x, y);
  }

  /** A round tick value without float noise or padding zeros: 0.2, 5, 150, 12.5k, 1.2M. */
  static String tick(double v) {
    double a = Math.abs(v);
    if (a >= 1e6) {
      return plain(v / 1e6) + "M";
    }
    if (a >= 1e4) {
      return plain(v / 1e3) + "k";
    }
    return plain(v);
  }

  private static String plain(double v) {
    if (v == 0) {
      return "0";
    }
    return new java.math.BigDecimal(v)
        .round(new java.math.MathContext(6))
        .stripTrailingZeros()
        .toPlainString();
  }

  private static String color(int i) {
    return COLORS[i % COLORS.length];
  }

  private static String label(RunComparison report, RunComparison.Group g) {
    if (report.legendColumns().isEmpty()) {
      return "all runs";
    }
    List<String> parts = new ArrayList<>();
    report.legendColumns().forEach(k -> parts.add(k + "=" + g.label().get(k)));
    return String.join(" ", parts);
  }

  /** The Markdown table as an HTML table. */
  private static String htmlTable(String markdown) {
    StringBuilder h = new StringBuilder();
    boolean header = true;
    for (String line : markdown.split("\n")) {
      if (!line.startsWith("|")) {
        if (!line.isBlank()) {
          h.append("<p>").append(escape(line)).append("</p>\n");
        }
        continue;
      }
      if (line.startsWith("|---")) {
        continue;
      }
      if (header) {
        h.append("<table>\n");
      }
      String tag = header ? "th" : "td";
      h.append("<tr>");
      String[] cells = line.substring(1, line.length() - 1).split("\\|");
      for (String c : cells) {
        h.append('<')
            .append(tag)
            .append('>')
            .append(escape(c.strip()))
            .append("</")
            .append(tag)
            .append('>');
      }
      h.append("</tr>\n");
      header = false;
    }
    return h.append("</table>\n").toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
