package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.core.ResolvedConfig;
import org.tokenrl.runlog.RunDirectory;

/**
 * Short end-to-end runs of the real pipeline on a tiny model: SFT warm-up then GRPO. The runs add a
 * BLEU reward to the task's 0/1 reward: after 3 SFT steps almost every answer is wrong, so the task
 * reward alone is 0 in every group and GRPO would have nothing to update; BLEU's partial credit
 * gives every step a signal, and {@link #assertRlStepsUpdated} checks that the weights moved.
 */
public class TrainingRunTest {
  public static final Path ROOT = ProjectRoot.get();

  /** Task reward plus BLEU partial credit, so the RL steps of a tiny run have a signal. */
  static final String PARTIAL_CREDIT =
      "rewards=[{name=task, weight=1.0}, {name=bleu, weight=1.0, smoothing=method1}]";

  @TempDir Path tmp;

  public static ResolvedConfig tinyConfig(Path runDir, String... extra) {
    List<String> overrides = tinyOverrides(runDir);
    overrides.addAll(List.of(extra));
    return ConfigLoader.load(
        ROOT.resolve("configs"), ROOT.resolve("configs/quickstart.conf"), overrides);
  }

  /** The overrides that make the quickstart tiny and fast, writing to {@code runDir}. */
  public static List<String> tinyOverrides(Path runDir) {
    return new ArrayList<>(
        List.of(
            "model.d_model=32",
            "model.layers=1",
            "model.heads=2",
            "model.d_ff=64",
            "sft.steps=3",
            "sft.batch_size=8",
            "trainer.steps=3",
            "trainer.prompts_per_step=4",
            "trainer.group_size=4",
            "trainer.eval_every=2",
            "trainer.eval_size=16",
            "trainer.checkpoint_every=2",
            PARTIAL_CREDIT,
            "trainer.run_dir=\"" + runDir + "\""));
  }

  public static Path train(Path runDir, long stopAfter, String... extra) throws IOException {
    ResolvedConfig cfg = tinyConfig(runDir, extra);
    RunDirectory dir = RunDirectory.createNew(runDir.toString(), "test");
    Files.writeString(dir.config(), cfg.render());
    new TrainingRun(cfg.config(), dir, ROOT).stopAfter(stopAfter).run(false);
    return runDir;
  }

  /**
   * Every RL step of the run updated the weights: a non-empty update with a finite non-zero
   * gradient and no skipped step, and between the two kept checkpoints (global steps 4 and 6 of 3
   * SFT + 3 RL) the optimizer took one step per RL step and the weights changed. So two runs that
   * agree agree on trained weights, not on an untouched model.
   */
  static void assertRlStepsUpdated(Path runDir) throws IOException {
    int rlSteps = 0;
    for (JsonNode step : metrics(runDir)) {
      if (!step.has("train/reward_mean")) {
        continue; // an SFT step
      }
      rlSteps++;
      assertTrue(step.has("actor/loss"), "RL step without an update: " + step);
      assertTrue(step.get("train/update_row_frac").asDouble() > 0, "nothing updated: " + step);
      double gradNorm = step.get("optim/grad_norm").asDouble();
      assertTrue(Double.isFinite(gradNorm) && gradNorm > 0, "no gradient: " + step);
      assertEquals(0.0, step.get("optim/skipped").asDouble(), "skipped update: " + step);
    }
    assertTrue(rlSteps >= 2, "the run has RL steps: " + rlSteps);
    RunDirectory dir = RunDirectory.existing(runDir);
    try (var early = Checkpoints.load(dir.checkpoint(4)).policy();
        var late = Checkpoints.load(dir.checkpoint(6)).policy()) {
      assertEquals(
          2, late.optimizer().step() - early.optimizer().step(), "optimizer steps in steps 5-6");
      var a = early.exportWeights();
      var b = late.exportWeights();
      boolean changed = false;
      for (String k : a.keySet()) {
        changed |= !java.util.Arrays.equals(a.get(k), b.get(k));
      }
      assertTrue(changed, "RL steps 5-6 changed the weights");
    }
  }

  /**
   * Asserts that the RL lines of two runs carry the compared metrics, so an equality of two absent
   * values (both read as 0) cannot pass.
   */
  static void assertRlMetricsPresent(List<JsonNode> lines, String... keys) {
    for (JsonNode step : lines) {
      if (step.has("train/reward_mean")) {
        for (String key : keys) {
          assertTrue(step.has(key), "RL step lacks " + key + ": " + step);
        }
      }
    }
  }

  /** metrics.jsonl lines with the timing fields (perf/*) removed. */
  static List<String> metricsWithoutTiming(Path runDir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
      ObjectNode node = (ObjectNode) json.readTree(line);
      Iterator<String> names = node.fieldNames();
      List<String> drop = new ArrayList<>();
      names.forEachRemaining(
          n -> {
            if (n.startsWith("perf/")) {
              drop.add(n);
            }
          });
      node.remove(drop);
      out.add(node.toString());
    }
    return out;
  }

  @Test
  void runWritesMetricsEventsConfigAndCheckpoints() throws IOException {
    Path run = train(tmp.resolve("a"), Long.MAX_VALUE);
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    assertEquals(6, last.get("step").asInt());
    for (String key :
        List.of(
            "train/reward_mean",
            "train/reward_std",
            "train/accuracy",
            "eval/accuracy",
            "actor/entropy",
            "actor/loss",
            "completions/mean_length",
            "optim/lr",
            "optim/grad_norm",
            "perf/tokens_per_sec",
            "perf/time_rollout",
            "perf/time_update")) {
      assertTrue(last.has(key), "last step lacks " + key + ": " + last);
    }
    assertTrue(Files.isRegularFile(run.resolve("config.conf")));
    assertTrue(Files.isRegularFile(run.resolve("train.log")));
    assertTrue(
        Files.readString(run.resolve("train.log")).contains("rollouts: in-process, 2 threads"),
        "the start-up lines say where rollouts run");
    try (var s = Files.list(run)) {
      assertTrue(s.anyMatch(p -> p.getFileName().toString().contains("tfevents")));
    }
    assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-0000006/model.safetensors")));
    // The resolved config loads back to the same values.
    assertEquals(
        ConfigLoader.loadResolved(run.resolve("config.conf")).config().getInt("trainer.steps"), 3);
  }

  @Test
  void sameSeedSameMetrics() throws IOException {
    Path a = train(tmp.resolve("a"), Long.MAX_VALUE);
    Path b = train(tmp.resolve("b"), Long.MAX_VALUE);
    assertRlStepsUpdated(a);
    assertEquals(metricsWithoutTiming(a), metricsWithoutTiming(b));
  }

  @Test
  void resumedRunEqualsUninterruptedRun() throws IOException {
    Path full = train(tmp.resolve("full"), Long.MAX_VALUE);
    // Killed after step 5: the last checkpoint is step 4, so step 5 is redone after resume.
    Path killed = train(tmp.resolve("killed"), 5);
    assertEquals(5, Files.readAllLines(killed.resolve("metrics.jsonl")).size());
    // ... and the crash also cut the checkpoint step's metrics line in the middle: resume restores
    // it from the checkpoint instead of keeping half a line.
    List<String> lines = Files.readAllLines(killed.resolve("metrics.jsonl"));
    Files.writeString(
        killed.resolve("metrics.jsonl"),
        String.join("\n", lines.subList(0, 3)) + "\n" + lines.get(3).substring(0, 20));
    RunDirectory dir = RunDirectory.existing(killed);
    new TrainingRun(ConfigLoader.loadResolved(dir.config()).config(), dir, ROOT).run(true);
    assertRlStepsUpdated(full);
    assertRlStepsUpdated(killed);
    assertEquals(metricsWithoutTiming(full), metricsWithoutTiming(killed));
    // The saved rollouts too: step 5's file of the killed part was dropped and written again.
    assertEquals(
        List.of(4L, 5L, 6L),
        RunDirectory.existing(full).rolloutFiles().stream().map(RunDirectory::stepOf).toList());
    assertEquals(rollouts(full), rollouts(killed));
  }

  /** Each saved rollout row's step, ids, reward, credit and flags, as text to compare runs. */
  static List<String> rollouts(Path run) {
    List<String> out = new ArrayList<>();
    for (Path f : RunDirectory.existing(run).rolloutFiles()) {
      org.tokenrl.core.StepRollouts s = org.tokenrl.core.StepRollouts.read(f);
      for (org.tokenrl.core.StepRollouts.Row r : s.rows()) {
        out.add(
            f.getFileName()
                + " "
                + java.util.Arrays.toString(r.rollout().responseIds())
                + " "
                + r.rollout().reward()
                + " "
                + java.util.Arrays.toString(r.advantages())
                + " "
                + java.util.Arrays.toString(r.inLoss())
                + " "
                + r.inUpdate()
                + " "
                + r.responseText());
      }
    }
    return out;
  }

  @Test
  void refillSamplesMoreRoundsUntilGroupsHaveSignalAndStaysDeterministic() throws IOException {
    // An untrained model almost never answers right, so the task reward is 0 in every group:
    // refill keeps sampling fresh prompts until the round limit and then trains on what it found.
    Path a =
        train(
            tmp.resolve("a"),
            Long.MAX_VALUE,
            "sft.steps=0",
            "trainer.dynamic_sampling=refill",
            "trainer.max_sampling_rounds=3",
            "rewards=[{name=task, weight=1.0}]");
    // No warm-up: the starting policy is evaluated first, logged at step 0.
    JsonNode start = metrics(a).get(0);
    assertEquals(0, start.path("step").asInt(), start.toString());
    assertTrue(start.has("eval/accuracy") && !start.has("train/reward_mean"), start.toString());
    assertTrue(
        Files.readString(a.resolve("train.log")).contains("held-out accuracy before training"));
    for (JsonNode step : metrics(a)) {
      if (!step.has("dynamic/rounds")) {
        continue;
      }
      int rounds = step.get("dynamic/rounds").asInt();
      int kept = step.get("dynamic/kept_groups").asInt();
      assertTrue(kept <= 4, "never more than prompts_per_step groups: " + step);
      assertEquals(4 * rounds, step.get("dynamic/sampled_groups").asInt());
      assertTrue(kept == 4 || rounds == 3, "stops early only with enough groups: " + step);
    }
    // BLEU gives partial credit, so nearly every group has signal: one round is usually enough,
    // and the update then uses exactly prompts_per_step groups.
    Path b =
        train(
            tmp.resolve("b"),
            Long.MAX_VALUE,
            "trainer.dynamic_sampling=refill",
            "rewards=[{name=bleu, weight=1.0, smoothing=method1}]");
    Path c =
        train(
            tmp.resolve("c"),
            Long.MAX_VALUE,
            "trainer.dynamic_sampling=refill",
            "rewards=[{name=bleu, weight=1.0, smoothing=method1}]");
    int full = 0;
    for (JsonNode step : metrics(b)) {
      if (step.has("dynamic/kept_groups") && step.get("dynamic/kept_groups").asInt() == 4) {
        full++;
        assertEquals(
            4.0 / (4 * step.get("dynamic/rounds").asInt()),
            step.get("train/update_row_frac").asDouble(),
            1e-12);
      }
    }
    assertTrue(full >= 2, "BLEU-rewarded groups fill the batch");
    assertEquals(metricsWithoutTiming(b), metricsWithoutTiming(c));
  }

  static List<JsonNode> metrics(Path runDir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
      out.add(json.readTree(line));
    }
    return out;
  }

  @Test
  void initFromStartsFromAnotherRunsWeights() throws IOException {
    // An SFT-only run (no main phase) is the shared start.
    Path a = train(tmp.resolve("a"), Long.MAX_VALUE, "trainer.steps=0");
    assertTrue(RunDirectory.existing(a).latestCheckpoint().orElseThrow().endsWith("step-0000003"));
    // Learning rate 0: the weights B ends with are the ones it started from.
    Path b =
        train(
            tmp.resolve("b"),
            Long.MAX_VALUE,
            "run.init_from=\"" + a + "\"",
            "sft.steps=0",
            "algorithm=sft",
            "trainer.learning_rate=0",
            "trainer.steps=1");
    try (var wa =
            Checkpoints.load(RunDirectory.existing(a).latestCheckpoint().orElseThrow()).policy();
        var wb =
            Checkpoints.load(RunDirectory.existing(b).latestCheckpoint().orElseThrow()).policy()) {
      var x = wa.exportWeights();
      var y = wb.exportWeights();
      assertEquals(x.keySet(), y.keySet());
      for (String k : x.keySet()) {
        assertTrue(java.util.Arrays.equals(x.get(k), y.get(k)), k);
      }
    }
    assertTrue(Files.readString(b.resolve("train.log")).contains("weights initialised from"));
    var bad =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                train(
                    tmp.resolve("c"),
                    Long.MAX_VALUE,
                    "run.init_from=\"" + a + "\"",
                    "model.d_model=64"));
    assertTrue(bad.getMessage().contains("run.init_from"), bad.getMessage());
  }

  @Test
  void asyncRunsSampleTheNextStepBeforeTheUpdateAndStayDeterministic() throws IOException {
    // Checkpoints after global steps 2, 4, 6 (checkpoint_every = 2; 3 SFT steps, then 4 RL).
    Path a = train(tmp.resolve("a"), Long.MAX_VALUE, "distributed.async=true", "trainer.steps=4");
    Path b = train(tmp.resolve("b"), Long.MAX_VALUE, "distributed.async=true", "trainer.steps=4");
    assertRlMetricsPresent(metrics(a), "actor/loss", "distributed/weight_staleness");
    assertEquals(metricsWithoutTiming(a), metricsWithoutTiming(b));
    List<Double> staleness = new ArrayList<>();
    for (JsonNode step : metrics(a)) {
      if (step.has("distributed/weight_staleness")) {
        staleness.add(step.get("distributed/weight_staleness").asDouble());
      }
    }
    // The first RL step (global 4) samples with the current weights; global 5 is not started
    // before step 4's update because a checkpoint follows step 4; global 6 was started during
    // step 5, one weight version behind; global 7 again is not, because a checkpoint follows 6.
    assertEquals(List.of(0.0, 0.0, 1.0, 0.0), staleness);
    Path sync = train(tmp.resolve("sync"), Long.MAX_VALUE, "trainer.steps=4");
    for (JsonNode step : metrics(sync)) {
      if (step.has("distributed/weight_staleness")) {
        assertEquals(0.0, step.get("distributed/weight_staleness").asDouble());
      }
    }
  }

  @Test
  void asyncResumeEqualsUninterruptedAsyncRun() throws IOException {
    Path full =
        train(tmp.resolve("full"), Long.MAX_VALUE, "distributed.async=true", "trainer.steps=4");
    Path killed = train(tmp.resolve("killed"), 6, "distributed.async=true", "trainer.steps=4");
    RunDirectory dir = RunDirectory.existing(killed);
    new TrainingRun(ConfigLoader.loadResolved(dir.config()).config(), dir, ROOT).run(true);
    assertRlMetricsPresent(metrics(full), "actor/loss", "distributed/weight_staleness");
    assertTrue(
        metrics(full).stream()
            .anyMatch(m -> m.path("distributed/weight_staleness").asDouble() == 1.0),
        "one step was sampled ahead");
    assertEquals(metricsWithoutTiming(full), metricsWithoutTiming(killed));
  }
}
