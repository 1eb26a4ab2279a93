package org.tokenrl.tools.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.runlog.RunRecord;

/** Grouping, columns, --by and RL-phase curves on hand-made runs (no training). */
class RunComparisonTest {
  private static final Map<String, String> GRPO =
      Map.of(
          "algorithm.name", "grpo",
          "algorithm.clip_eps_high", "0.2",
          "algorithm.eps_adv", "1e-4",
          "trainer.learning_rate", "2e-4",
          "sft.steps", "2",
          "tensorboard.samples", "8");

  /** GRPO's config with {@code changes} ("key=value", "key=" removes) and a seed. */
  private static Map<String, String> config(long seed, String... changes) {
    Map<String, String> c = new TreeMap<>(GRPO);
    c.put("run.seed", Long.toString(seed));
    c.put("run.name", "r" + seed);
    for (String change : changes) {
      String[] kv = change.split("=", 2);
      if (kv[1].isEmpty()) {
        c.remove(kv[0]);
      } else {
        c.put(kv[0], kv[1]);
      }
    }
    return c;
  }

  /** A run evaluated at every step; accuracy = step / 10 + bias, 10 tokens and 1 s per RL step. */
  private static RunRecord run(Map<String, String> config, int steps, double bias) {
    long warmup = Long.parseLong(config.get("sft.steps"));
    List<Map<String, Double>> rows = new ArrayList<>();
    for (long step = 1; step <= warmup + steps; step++) {
      Map<String, Double> row = new TreeMap<>();
      row.put("step", (double) step);
      row.put("eval/accuracy", step / 10.0 + bias);
      if (step > warmup) {
        row.put("perf/rollout_tokens", 10.0);
        row.put("perf/time_step", 1.0);
      }
      rows.add(row);
    }
    return new RunRecord(Path.of("run-" + config.get("run.name")), config, rows);
  }

  private static List<RunRecord> grpoVsTempo() {
    String[] tempo = {
      "algorithm.name=tempo",
      "algorithm.clip_eps_high=0.28",
      "algorithm.eps_adv=1e-6",
      "algorithm.td_weight=1.0"
    };
    return List.of(
        run(config(1), 3, 0),
        run(config(2), 3, 0.1),
        run(config(1, tempo), 3, 0),
        run(config(2, tempo), 3, 0));
  }

  @Test
  void everyDifferingKeyIsAColumnNamesFirst() {
    RunComparison r = new RunComparison(grpoVsTempo(), null, List.of());
    assertEquals(2, r.groups().size());
    assertEquals(
        List.of(
            "algorithm.name",
            "algorithm.clip_eps_high",
            "algorithm.eps_adv",
            "algorithm.td_weight"),
        r.columns());
    assertEquals(List.of("algorithm.name"), r.legendColumns(), "the legend stays short");
    RunComparison.Group grpo = r.groups().get(0);
    assertEquals("—", grpo.label().get("algorithm.td_weight"), "absent in GRPO's config");
    assertEquals("0.2", grpo.label().get("algorithm.clip_eps_high"));
    assertEquals(Map.of(), r.unasked(), "no --by: nothing is hidden, nothing to warn about");
    // the seeds' mean ± std: final accuracies 0.5 and 0.6
    RunComparison.Summary s = grpo.summary(RunComparison.RunStats::finalAccuracy);
    assertEquals(0.55, s.mean(), 1e-12);
    assertEquals(0.1 / Math.sqrt(2), s.std(), 1e-12);
  }

  @Test
  void byGroupsOnTheAskedKeysAndNamesEverythingElse() {
    List<RunRecord> runs = new ArrayList<>(grpoVsTempo());
    runs.add(run(config(3, "trainer.learning_rate=1e-4"), 3, 0)); // a GRPO run with another lr
    RunComparison r = new RunComparison(runs, null, List.of(), List.of("algorithm.name"));
    assertEquals(2, r.groups().size());
    assertEquals(3, r.groups().get(0).runs().size());
    assertEquals("algorithm.name", r.columns().get(0));
    assertEquals(
        Map.of(
            "algorithm.clip_eps_high", "0.2, 0.28",
            "algorithm.eps_adv", "1e-4, 1e-6",
            "algorithm.td_weight", "1.0, —",
            "trainer.learning_rate", "1e-4, 2e-4"),
        r.unasked());
    assertEquals(List.of("trainer.learning_rate"), r.mixed());
    assertEquals("2e-4 / 1e-4", r.groups().get(0).label().get("trainer.learning_rate"));
    IllegalArgumentException typo =
        assertThrows(
            IllegalArgumentException.class,
            () -> new RunComparison(runs, null, List.of(), List.of("algorithm.nme")));
    assertEquals(
        "--by algorithm.nme: no run's config has this key (did you mean algorithm.name?)",
        typo.getMessage());
  }

  @Test
  void curvesStartAtTheRlPhaseWhateverTheWarmUp() {
    RunComparison r =
        new RunComparison(
            List.of(run(config(1, "sft.steps=2"), 4, 0), run(config(1, "sft.steps=5"), 4, 0)),
            null,
            List.of());
    assertEquals(List.of("sft.steps"), r.columns());
    for (RunComparison.Group g : r.groups()) {
      List<CompareHtml.Point> c = CompareHtml.curve(g, "eval/accuracy");
      assertEquals(5, c.size(), "the end of the warm-up and 4 RL steps");
      long warmup = g.runs().get(0).run().warmupSteps();
      for (int i = 0; i < c.size(); i++) {
        assertEquals(i, c.get(i).step());
        assertEquals(10.0 * i, c.get(i).tokens(), "tokens count from the RL phase");
        assertEquals(1.0 * i, c.get(i).seconds());
        assertEquals((warmup + i) / 10.0, c.get(i).mean(), 1e-12);
      }
    }
  }

  @Test
  void anOldRunIsReadUnderTodaysNames(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.conf"), "sft.steps = 1\nalgorithm.name = grpo\n");
    Files.writeString(
        dir.resolve("metrics.jsonl"),
        "{\"step\": 1, \"eval/accuracy\": 0.4}\n"
            + "{\"step\": 2, \"reward/total_mean\": 0.5, \"eval/accuracy\": 0.6}\n");
    RunComparison r =
        new RunComparison(
            List.of(RunRecord.load(dir)),
            null,
            List.of(RunComparison.MetricSpec.parse("train/reward_mean:last")));
    RunComparison.RunStats s = r.groups().get(0).runs().get(0);
    assertEquals(0.5, s.metrics().get("train/reward_mean:last"));
    assertEquals(0.4, s.start());
    assertEquals(0.6, s.finalAccuracy());
  }

  @Test
  void ticksAreRoundNumbers() {
    CompareHtml.Ticks t = CompareHtml.Ticks.of(0, 37.5);
    assertEquals(List.of(0.0, 10.0, 20.0, 30.0, 40.0), t.values());
    assertEquals(List.of(0.0, 50.0, 100.0, 150.0), CompareHtml.Ticks.of(0, 150).values());
    assertEquals(
        List.of(0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
        CompareHtml.Ticks.of(0.52, 0.97).values().stream()
            .map(v -> Math.round(v * 1e9) / 1e9)
            .toList());
    assertEquals("0.3", CompareHtml.tick(CompareHtml.Ticks.of(0.1, 0.7).values().get(2)));
    assertEquals("12.5k", CompareHtml.tick(12500));
    assertEquals("1.2M", CompareHtml.tick(1_200_000));
    assertEquals("0", CompareHtml.tick(0));
    for (double[] range : new double[][] {{0, 1}, {3, 1e5}, {-0.2, 0.9}, {0.001, 0.0012}}) {
      int intervals = CompareHtml.Ticks.of(range[0], range[1]).values().size() - 1;
      assertTrue(intervals >= 3 && intervals <= 8, intervals + " intervals for " + range[1]);
    }
  }
}
