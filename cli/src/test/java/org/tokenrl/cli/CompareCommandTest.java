package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.trainer.loop.TrainingRunTest;

/**
 * {@code ./tokenrl compare} on real tiny runs (GRPO and TEMPO, two seeds each): the groups, and
 * every number recomputed here from metrics.jsonl.
 */
class CompareCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int WARMUP = 3; // sft.steps of TrainingRunTest.tinyConfig

  @TempDir Path tmp;

  @Test
  void groupsOverSeedsWithMeansStdsTargetsAndCurves() throws Exception {
    Path root = tmp.resolve("runs");
    List<Path> grpo = new ArrayList<>();
    List<Path> tempo = new ArrayList<>();
    for (int seed = 1; seed <= 2; seed++) {
      grpo.add(
          TrainingRunTest.train(
              root.resolve("grpo-seed" + seed),
              Long.MAX_VALUE,
              "run.seed=" + seed,
              "tensorboard.samples=0"));
      tempo.add(
          TrainingRunTest.train(
              root.resolve("tempo-seed" + seed),
              Long.MAX_VALUE,
              "algorithm=tempo",
              "run.seed=" + seed,
              "tensorboard.samples=0"));
    }
    // A target half the runs reach: entropy at or below the second-lowest final-step value.
    List<Double> lastEntropy = new ArrayList<>();
    for (Path run : List.of(grpo.get(0), grpo.get(1), tempo.get(0), tempo.get(1))) {
      List<JsonNode> rows = rows(run);
      lastEntropy.add(rows.get(rows.size() - 1).get("actor/entropy").asDouble());
    }
    double threshold = lastEntropy.stream().sorted().toList().get(1);
    String target = String.format(Locale.ROOT, "actor/entropy<=%.17g", threshold);

    Path html = tmp.resolve("report/compare.html");
    CliRun json =
        CliRun.of(
            "compare",
            root.toString(),
            "--target",
            target,
            "--metric",
            "train/reward_mean:last2",
            "--metric",
            "actor/entropy:max",
            "--json",
            "--html",
            html.toString());
    assertEquals(0, json.code(), json.err());
    JsonNode report = JSON.readTree(json.out());
    // Every key the resolved configs differ in, the preset's included, computed here from the
    // two config.conf files: GRPO vs TEMPO is not just algorithm.name.
    java.util.Set<String> expected = differingKeys(grpo.get(0), tempo.get(0));
    assertTrue(expected.contains("algorithm.clip_eps_high"), "" + expected);
    assertTrue(expected.size() > 2, "" + expected);
    assertEquals(expected, new java.util.TreeSet<>(strings(report.get("columns"))));
    assertEquals(expected, new java.util.TreeSet<>(strings(report.get("differing_keys"))));
    assertEquals("algorithm.name", report.get("columns").get(0).asText());
    assertEquals(List.of("algorithm.name"), strings(report.get("legend_columns")));
    JsonNode groups = report.get("groups");
    assertEquals(2, groups.size());
    assertEquals("grpo", groups.get(0).get("label").get("algorithm.name").asText());
    assertEquals("tempo", groups.get(1).get("label").get("algorithm.name").asText());

    int reachedTotal = 0;
    for (int g = 0; g < 2; g++) {
      List<Path> runs = g == 0 ? grpo : tempo;
      JsonNode group = groups.get(g);
      JsonNode stats = group.get("stats");
      assertEquals(2, group.get("seeds").asInt());
      assertStat(stats.get("final_accuracy"), runs, r -> last(r, "eval/accuracy"));
      assertStat(stats.get("start_accuracy"), runs, r -> atStep(r, "eval/accuracy", WARMUP));
      assertStat(stats.get("main_wall_seconds"), runs, r -> mainSum(r, "perf/time_step", 99));
      assertStat(
          stats.get("train/reward_mean:last2"), runs, r -> lastMean(r, "train/reward_mean", 2));
      assertStat(stats.get("actor/entropy:max"), runs, r -> max(r, "actor/entropy"));
      // Target: the first main-phase step whose entropy is <= threshold, and the tokens and
      // seconds summed over the main phase up to it; NaN (left out) for runs that never do.
      List<Double> steps = new ArrayList<>();
      List<Double> tokens = new ArrayList<>();
      List<Double> seconds = new ArrayList<>();
      for (Path run : runs) {
        double reachedAt = Double.NaN;
        for (JsonNode row : rows(run)) {
          int step = row.get("step").asInt();
          if (step >= WARMUP
              && row.hasNonNull("actor/entropy")
              && row.get("actor/entropy").asDouble() <= threshold) {
            reachedAt = step;
            break;
          }
        }
        steps.add(reachedAt - WARMUP);
        tokens.add(
            Double.isNaN(reachedAt)
                ? Double.NaN
                : mainSum(run, "perf/rollout_tokens", (int) reachedAt));
        seconds.add(
            Double.isNaN(reachedAt) ? Double.NaN : mainSum(run, "perf/time_step", (int) reachedAt));
      }
      long reached = steps.stream().filter(x -> !x.isNaN()).count();
      reachedTotal += reached;
      assertEquals(reached, group.get("reached_target").asLong());
      assertSummary(stats.get("target_steps"), steps);
      assertSummary(stats.get("target_rollout_tokens"), tokens);
      assertSummary(stats.get("target_wall_seconds"), seconds);
    }
    assertTrue(reachedTotal >= 2, "the threshold is met by at least two runs");

    // The table: one row per group, "mean ± std" cells.
    CliRun table =
        CliRun.of(
            "compare",
            root.resolve("grpo-seed*").toString(),
            root.resolve("tempo-seed1").toString(),
            root.resolve("tempo-seed2").toString());
    assertEquals(0, table.code(), table.err());
    List<String> lines = table.out().lines().filter(l -> l.startsWith("| ")).toList();
    assertEquals(3, lines.size(), table.out());
    assertTrue(lines.get(0).startsWith("| algorithm.name | "), lines.get(0));
    for (String key : expected) {
      assertTrue(lines.get(0).contains("| " + key + " |"), key + " not a column: " + lines.get(0));
    }
    assertTrue(lines.get(0).contains(" | seeds | start acc | final acc"), lines.get(0));
    assertTrue(table.err().isBlank(), "no --by, nothing hidden, no warning: " + table.err());
    double wall =
        mean(
            List.of(
                mainSum(grpo.get(0), "perf/time_step", 99),
                mainSum(grpo.get(1), "perf/time_step", 99)));
    assertTrue(lines.get(1).startsWith("| grpo | "), lines.get(1));
    assertTrue(lines.get(1).contains(" | 2 | "), lines.get(1));

    // --by algorithm.name: the same two groups, and a warning naming what else differs.
    CliRun by = CliRun.of("compare", root.toString(), "--by", "algorithm.name");
    assertEquals(0, by.code(), by.err());
    assertEquals(1, by.err().strip().lines().count(), by.err());
    assertTrue(by.err().startsWith("warning: the runs differ in more than --by algorithm.name: "));
    for (String key : expected) {
      assertTrue(key.equals("algorithm.name") || by.err().contains(key), key + ": " + by.err());
    }
    CliRun typo = CliRun.of("compare", root.toString(), "--by", "algorithm.nam");
    assertEquals(2, typo.code());
    assertTrue(typo.err().contains("did you mean algorithm.name?"), typo.err());
    assertTrue(lines.get(1).contains(String.format(Locale.ROOT, "| %.0f ± ", wall)), lines.get(1));

    // The HTML: one curve per group in each of the three panels, nothing from the network.
    String page = Files.readString(html);
    assertEquals(3, count(page, "<svg "));
    assertEquals(3 * 2, count(page, "class=\"curve\""));
    assertEquals(3 * 2, count(page, "class=\"band\""));
    assertFalse(
        page.matches("(?s).*(https?:|src=|href=|<script|@import|url\\().*"), "network reference");
  }

  /**
   * Binomial s.e. and {@code --baseline}: hand-written runs whose accuracies and held-out sizes are
   * known, the numbers recomputed here from their definitions.
   */
  @Test
  void binomialStandardErrorsAndDifferencesAgainstABaseline() throws Exception {
    Path root = tmp.resolve("runs");
    double[] grpo = {0.40, 0.46, 0.43};
    double[] d3s = {0.60, 0.62, 0.58};
    for (int i = 0; i < 3; i++) {
      fakeRun(root.resolve("grpo-seed" + (i + 1)), "grpo", i + 1, 300, true, 0.50, grpo[i]);
      fakeRun(root.resolve("d3s-seed" + (i + 1)), "d3s", i + 1, 300, true, 0.60 + i * 0.01, d3s[i]);
    }
    // No train.log line: n from trainer.eval_size (200) capped by task.eval_size (100).
    fakeRun(root.resolve("tempo-seed1"), "tempo", 1, 200, false, 0.44, 0.44);

    CliRun json =
        CliRun.of("compare", root.toString(), "--baseline", "algorithm.name=grpo", "--json");
    assertEquals(0, json.code(), json.err());
    JsonNode report = JSON.readTree(json.out());
    JsonNode groups = report.get("groups");
    assertEquals(3, groups.size());
    java.util.Map<String, JsonNode> byName = new java.util.HashMap<>();
    groups.forEach(g -> byName.put(g.get("label").get("algorithm.name").asText(), g));
    double seGrpo = binomialMeanSe(grpo, 300);
    double seD3s = binomialMeanSe(d3s, 300);
    double seTempo = Math.sqrt(0.44 * 0.56 / 100);
    assertEquals(seGrpo, byName.get("grpo").get("final_accuracy_binomial_se").asDouble(), 1e-12);
    assertEquals(seD3s, byName.get("d3s").get("final_accuracy_binomial_se").asDouble(), 1e-12);
    assertEquals(seTempo, byName.get("tempo").get("final_accuracy_binomial_se").asDouble(), 1e-12);
    assertEquals(
        Math.sqrt(0.5 * 0.5 / 300 * 3) / 3,
        byName.get("grpo").get("best_accuracy_binomial_se").asDouble(),
        1e-12);
    assertEquals(100, byName.get("tempo").get("runs").get(0).get("held_out_examples").asInt());

    // Δ final of d3s against grpo: each side's s.e. is max(std/sqrt(3), binomial s.e.).
    JsonNode base = report.get("baseline");
    assertEquals("grpo", base.get("label").get("algorithm.name").asText());
    java.util.Map<String, JsonNode> diffs = new java.util.HashMap<>();
    base.get("differences")
        .forEach(d -> diffs.put(d.get("label").get("algorithm.name").asText(), d));
    assertEquals(2, diffs.size());
    double a = Math.max(std(d3s) / Math.sqrt(3), seD3s);
    double b = Math.max(std(grpo) / Math.sqrt(3), seGrpo);
    JsonNode fin = diffs.get("d3s").get("final_accuracy");
    assertEquals(mean(d3s) - mean(grpo), fin.get("diff").asDouble(), 1e-12);
    assertEquals(Math.sqrt(a * a + b * b), fin.get("se").asDouble(), 1e-12);
    assertTrue(fin.get("beyond_two_se").asBoolean(), fin.toString()); // +0.17 against ~0.03
    // tempo (one seed, 0.44) against grpo (0.43): far inside two standard errors.
    JsonNode tempo = diffs.get("tempo").get("final_accuracy");
    assertEquals(
        Math.sqrt(seTempo * seTempo + b * b), tempo.get("se").asDouble(), 1e-12, tempo.toString());
    assertFalse(tempo.get("beyond_two_se").asBoolean());

    // The table: the s.e. columns, and the differences table naming what exceeds 2 s.e.
    CliRun table = CliRun.of("compare", root.toString(), "--baseline", "algorithm.name=grpo");
    assertEquals(0, table.code(), table.err());
    assertTrue(table.out().contains("| final acc binomial s.e. | best acc binomial s.e. |"));
    String d3sRow =
        table
            .out()
            .lines()
            .filter(l -> l.startsWith("| d3s |") && l.contains("+0."))
            .findFirst()
            .orElseThrow();
    assertTrue(d3sRow.endsWith("| final, best |"), d3sRow);
    assertTrue(
        d3sRow.contains(String.format(Locale.ROOT, "| %+.3f |", mean(d3s) - mean(grpo))), d3sRow);

    // Bad --baseline: one line, exit 2, naming the groups there are.
    CliRun none = CliRun.of("compare", root.toString(), "--baseline", "algorithm.name=ppo");
    assertEquals(2, none.code());
    assertEquals(1, none.err().strip().lines().count(), none.err());
    assertTrue(none.err().contains("matches no group") && none.err().contains("grpo"), none.err());
    CliRun bad = CliRun.of("compare", root.toString(), "--baseline", "grpo");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("expected KEY=VALUE"), bad.err());
  }

  private static void fakeRun(
      Path dir, String algo, int seed, int evalSize, boolean log, double best, double last)
      throws IOException {
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("config.conf"),
        "algorithm { name = "
            + algo
            + " }\nrun { seed = "
            + seed
            + " }\nsft { steps = 0 }\ntrainer { eval_size = "
            + evalSize
            + " }\ntask { eval_size = "
            + (log ? evalSize : 100)
            + " }\n");
    Files.writeString(
        dir.resolve("metrics.jsonl"),
        String.format(
            Locale.ROOT,
            "{\"step\":0,\"eval/accuracy\":0.1}\n"
                + "{\"step\":1,\"perf/time_step\":1.0,\"perf/rollout_tokens\":10}\n"
                + "{\"step\":2,\"eval/accuracy\":%s}\n{\"step\":3,\"eval/accuracy\":%s}\n",
            Math.max(best, last),
            last));
    if (log) {
      Files.writeString(
          dir.resolve("train.log"),
          String.format(
              Locale.ROOT, "held-out accuracy: %.4f (%d eval examples)\n", last, evalSize));
    }
  }

  private static double binomialMeanSe(double[] p, int n) {
    double var = 0;
    for (double x : p) {
      var += x * (1 - x) / n;
    }
    return Math.sqrt(var) / p.length;
  }

  private static double mean(double[] v) {
    return java.util.Arrays.stream(v).sum() / v.length;
  }

  private static double std(double[] v) {
    double m = mean(v);
    return Math.sqrt(java.util.Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1));
  }

  @Test
  void badInputIsOneLineAndExitCodeTwo() {
    CliRun missing = CliRun.of("compare", tmp.resolve("nope").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("nope"), missing.err());
    CliRun empty = CliRun.of("compare", tmp.toString());
    assertEquals(2, empty.code());
    assertTrue(empty.err().contains("holds no run"), empty.err());
    CliRun target = CliRun.of("compare", tmp.toString(), "--target", "eval/accuracy");
    assertEquals(2, target.code());
    assertTrue(target.err().contains("--target eval/accuracy"), target.err());
    CliRun metric = CliRun.of("compare", tmp.toString(), "--metric", "train/reward_mean:mid3");
    assertEquals(2, metric.code());
    assertEquals(1, metric.err().strip().lines().count(), metric.err());
  }

  // ---------------------------------------------------------------- independent reference

  @Test
  void anExistingReportIsNeverOverwrittenWithoutForce() throws Exception {
    Path existing = tmp.resolve("config.conf");
    Files.writeString(existing, "a run's own config\n");
    CliRun r = CliRun.of("compare", tmp.toString(), "--html", existing.toString());
    assertEquals(2, r.code());
    assertEquals(
        "tokenrl compare: "
            + existing
            + " already exists; choose another file or pass --force to overwrite it",
        r.err().strip());
    assertEquals("a run's own config\n", Files.readString(existing));
    CliRun forced = CliRun.of("compare", tmp.toString(), "--html", existing.toString(), "--force");
    assertFalse(forced.err().contains("already exists"), forced.err());
  }

  private static void assertStat(JsonNode stat, List<Path> runs, Function<Path, Double> f) {
    List<Double> values = new ArrayList<>();
    for (Path r : runs) {
      values.add(f.apply(r));
    }
    assertSummary(stat, values);
  }

  private static void assertSummary(JsonNode stat, List<Double> values) {
    List<Double> v = values.stream().filter(x -> !x.isNaN()).toList();
    assertEquals(v.size(), stat.get("n").asInt(), stat.toString());
    if (v.isEmpty()) {
      assertTrue(stat.get("mean").isNull(), stat.toString());
      return;
    }
    double mean = mean(v);
    assertEquals(
        mean, stat.get("mean").asDouble(), 1e-9 * Math.max(1, Math.abs(mean)), stat.toString());
    if (v.size() == 2) {
      // sample standard deviation of two values: |a - b| / sqrt(2)
      double std = Math.abs(v.get(0) - v.get(1)) / Math.sqrt(2);
      assertEquals(std, stat.get("std").asDouble(), 1e-9 * Math.max(1, std), stat.toString());
    } else {
      assertTrue(stat.get("std").isNull(), stat.toString());
    }
  }

  private static List<JsonNode> rows(Path run) {
    try {
      List<JsonNode> out = new ArrayList<>();
      for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
        out.add(JSON.readTree(line));
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static double last(Path run, String key) {
    double v = Double.NaN;
    for (JsonNode r : rows(run)) {
      if (r.hasNonNull(key)) {
        v = r.get(key).asDouble();
      }
    }
    return v;
  }

  private static double atStep(Path run, String key, int step) {
    for (JsonNode r : rows(run)) {
      if (r.get("step").asInt() == step && r.hasNonNull(key)) {
        return r.get(key).asDouble();
      }
    }
    return Double.NaN;
  }

  /** Sum of {@code key} over main-phase steps (after the warm-up) up to {@code upTo}. */
  private static double mainSum(Path run, String key, int upTo) {
    double s = 0;
    for (JsonNode r : rows(run)) {
      int step = r.get("step").asInt();
      if (step > WARMUP && step <= upTo && r.hasNonNull(key)) {
        s += r.get(key).asDouble();
      }
    }
    return s;
  }

  private static double lastMean(Path run, String key, int n) {
    List<Double> v = new ArrayList<>();
    rows(run).stream().filter(r -> r.hasNonNull(key)).forEach(r -> v.add(r.get(key).asDouble()));
    return mean(v.subList(Math.max(0, v.size() - n), v.size()));
  }

  private static double max(Path run, String key) {
    return rows(run).stream()
        .filter(r -> r.hasNonNull(key))
        .mapToDouble(r -> r.get(key).asDouble())
        .max()
        .orElse(Double.NaN);
  }

  private static double mean(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).sum() / v.size();
  }

  /** Keys whose values differ between two runs' config.conf, per-run and logging keys aside. */
  private static java.util.Set<String> differingKeys(Path a, Path b) {
    com.typesafe.config.Config ca =
        com.typesafe.config.ConfigFactory.parseFile(a.resolve("config.conf").toFile()).resolve();
    com.typesafe.config.Config cb =
        com.typesafe.config.ConfigFactory.parseFile(b.resolve("config.conf").toFile()).resolve();
    java.util.Set<String> keys = new java.util.TreeSet<>();
    ca.entrySet().forEach(e -> keys.add(e.getKey()));
    cb.entrySet().forEach(e -> keys.add(e.getKey()));
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (String k : keys) {
      Object va = ca.hasPath(k) ? ca.getValue(k).unwrapped() : null;
      Object vb = cb.hasPath(k) ? cb.getValue(k).unwrapped() : null;
      boolean perRun =
          List.of("run.seed", "run.name", "run.init_from", "trainer.run_dir").contains(k)
              || k.startsWith("tensorboard.")
              || k.equals("trainer.log_every");
      if (!perRun && !java.util.Objects.equals(va, vb)) {
        out.add(k);
      }
    }
    return out;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static int count(String s, String needle) {
    Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(s);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
