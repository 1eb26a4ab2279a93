package org.tokenrl.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tokenrl.runlog.RunRecord;
import org.tokenrl.tools.compare.RunComparison;

/**
 * {@code compare --baseline KEY=VALUE}: each group's difference to one baseline group in final and
 * best held-out accuracy, with the standard error of the difference, and the binomial standard
 * errors the table shows.
 *
 * <p>A group's standard error of its mean accuracy is the larger of two estimates: the spread over
 * seeds, std / sqrt(seeds) (training and evaluation noise together, but itself noisy with 3 seeds),
 * and the evaluation noise alone, sqrt(sum_i p_i (1 - p_i) / n_i) / seeds for n_i held-out examples
 * (what a single seed has). Taking the larger keeps a lucky small seed spread from making a
 * difference look firm. The difference's is sqrt(se_a^2 + se_b^2) (independent groups).
 */
final class Differences {
  static final String FINAL_SE = "final acc binomial s.e.";
  static final String BEST_SE = "best acc binomial s.e.";

  private static final Pattern EXAMPLES = Pattern.compile("\\((\\d+) eval examples\\)");

  /** One compared quantity. */
  private record Stat(String name, ToDoubleFunction<RunComparison.RunStats> of) {}

  private static final List<Stat> STATS =
      List.of(
          new Stat("final_accuracy", RunComparison.RunStats::finalAccuracy),
          new Stat("best_accuracy", RunComparison.RunStats::best));

  /** A group's difference to the baseline in one statistic. */
  record Delta(double diff, double se) {
    boolean beyondTwoSe() {
      return Double.isFinite(se) && Math.abs(diff) > 2 * se;
    }

    double ratio() {
      return se > 0 ? diff / se : Double.NaN;
    }
  }

  private final String spec;
  private final RunComparison report;
  private final RunComparison.Group base;

  private Differences(String spec, RunComparison report, RunComparison.Group base) {
    this.spec = spec;
    this.report = report;
    this.base = base;
  }

  /**
   * The baseline group named by {@code spec} ({@code KEY=VALUE[,KEY=VALUE]}, matched against each
   * group's config).
   *
   * @throws IllegalArgumentException when the spec is malformed or matches no group or several
   */
  static Differences against(RunComparison report, String spec) {
    Map<String, String> want = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0 || eq == part.length() - 1) {
        throw new IllegalArgumentException(
            "--baseline " + spec + ": expected KEY=VALUE, e.g. --baseline algorithm.name=grpo");
      }
      want.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
    }
    List<RunComparison.Group> hits = new ArrayList<>();
    for (RunComparison.Group g : report.groups()) {
      boolean all = true;
      for (Map.Entry<String, String> e : want.entrySet()) {
        all &= e.getValue().equals(g.config().get(e.getKey()));
      }
      if (all) {
        hits.add(g);
      }
    }
    if (hits.size() != 1) {
      throw new IllegalArgumentException(
          "--baseline "
              + spec
              + (hits.isEmpty()
                  ? " matches no group"
                  : " matches " + hits.size() + " groups; add KEY=VALUE pairs (comma-separated)")
              + " (the groups: "
              + String.join("; ", report.groups().stream().map(Differences::name).toList())
              + ")");
    }
    return new Differences(spec, report, hits.get(0));
  }

  private static String name(RunComparison.Group g) {
    List<String> parts = new ArrayList<>();
    g.label().forEach((k, v) -> parts.add(k + "=" + v));
    return parts.isEmpty() ? "all" : String.join(",", parts);
  }

  /**
   * Held-out examples behind a run's accuracy: train.log's final "(N eval examples)", else
   * trainer.eval_size capped by a generated task's task.eval_size; NaN when unknown.
   */
  static double heldOut(RunRecord run) {
    Path log = run.dir().resolve("train.log");
    if (Files.isRegularFile(log)) {
      try {
        double n = Double.NaN;
        for (String line : Files.readAllLines(log)) {
          Matcher m = EXAMPLES.matcher(line);
          if (m.find()) {
            n = Double.parseDouble(m.group(1));
          }
        }
        if (!Double.isNaN(n)) {
          return n;
        }
      } catch (IOException | java.io.UncheckedIOException e) {
        // an unreadable log: fall back to the config
      }
    }
    double asked = number(run.config().get("trainer.eval_size"));
    double pool = number(run.config().get("task.eval_size"));
    if (!(asked > 0)) {
      return pool > 0 ? pool : Double.NaN;
    }
    return pool > 0 ? Math.min(asked, pool) : asked;
  }

  private static double number(String v) {
    try {
      return v == null ? Double.NaN : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** sqrt(sum_i p_i (1 - p_i) / n_i) / k over the group's runs that have the statistic. */
  static double binomialSe(RunComparison.Group g, ToDoubleFunction<RunComparison.RunStats> stat) {
    double var = 0;
    int k = 0;
    for (RunComparison.RunStats rs : g.runs()) {
      double p = stat.applyAsDouble(rs);
      if (Double.isNaN(p)) {
        continue;
      }
      double n = heldOut(rs.run());
      if (!(n > 0)) {
        return Double.NaN;
      }
      var += p * (1 - p) / n;
      k++;
    }
    return k == 0 ? Double.NaN : Math.sqrt(var) / k;
  }

  /** The larger of std / sqrt(seeds) and the binomial s.e. of the group's mean. */
  static double meanSe(RunComparison.Group g, ToDoubleFunction<RunComparison.RunStats> stat) {
    RunComparison.Summary s = g.summary(stat);
    double seeds = s.n() > 1 ? s.std() / Math.sqrt(s.n()) : Double.NaN;
    double binomial = binomialSe(g, stat);
    if (Double.isNaN(seeds)) {
      return binomial;
    }
    return Double.isNaN(binomial) ? seeds : Math.max(seeds, binomial);
  }

  static Delta delta(
      RunComparison.Group g,
      RunComparison.Group base,
      ToDoubleFunction<RunComparison.RunStats> stat) {
    double diff = g.summary(stat).mean() - base.summary(stat).mean();
    double a = meanSe(g, stat);
    double b = meanSe(base, stat);
    return new Delta(diff, Math.sqrt(a * a + b * b));
  }

  /** The Markdown table of differences, one row per non-baseline group. */
  String table() {
    StringBuilder md = new StringBuilder();
    md.append("against ")
        .append(spec)
        .append(": difference of the group mean from the baseline's; s.e. = sqrt(s.e.² +")
        .append(" s.e.²), a group's s.e. the larger of std/√seeds and its binomial s.e.\n\n");
    List<String> headers = new ArrayList<>(report.columns());
    if (headers.isEmpty()) {
      headers.add("group");
    }
    headers.add("seeds");
    for (String h : List.of("final acc", "best acc")) {
      headers.add("Δ " + h);
      headers.add("s.e.");
      headers.add("Δ / s.e.");
    }
    headers.add("beyond 2 s.e.");
    md.append("| ").append(String.join(" | ", headers)).append(" |\n");
    md.append("|").append("---|".repeat(headers.size())).append("\n");
    for (RunComparison.Group g : report.groups()) {
      if (g == base) {
        continue;
      }
      List<String> cells = new ArrayList<>(g.label().values());
      if (report.columns().isEmpty()) {
        cells.add("all");
      }
      cells.add(String.valueOf(g.runs().size()));
      List<String> beyond = new ArrayList<>();
      for (Stat s : STATS) {
        Delta d = delta(g, base, s.of());
        cells.add(signed(d.diff()));
        cells.add(number(d.se()));
        cells.add(Double.isNaN(d.ratio()) ? "—" : String.format(Locale.ROOT, "%+.1f", d.ratio()));
        if (d.beyondTwoSe()) {
          beyond.add(s.name().replace("_accuracy", ""));
        }
      }
      cells.add(beyond.isEmpty() ? "no" : String.join(", ", beyond));
      md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }
    return md.toString();
  }

  /** The same in {@code compare --json}'s "baseline" object. */
  void json(ObjectNode out) {
    out.put("spec", spec);
    ObjectNode label = out.putObject("label");
    base.label().forEach(label::put);
    ArrayNode rows = out.putArray("differences");
    for (RunComparison.Group g : report.groups()) {
      if (g == base) {
        continue;
      }
      ObjectNode row = rows.addObject();
      ObjectNode l = row.putObject("label");
      g.label().forEach(l::put);
      for (Stat s : STATS) {
        Delta d = delta(g, base, s.of());
        ObjectNode n = row.putObject(s.name());
        CompareCommand.putNumber(n, "diff", d.diff());
        CompareCommand.putNumber(n, "se", d.se());
        n.put("beyond_two_se", d.beyondTwoSe());
      }
    }
  }

  static String number(double v) {
    return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String signed(double v) {
    return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%+.3f", v);
  }
}
