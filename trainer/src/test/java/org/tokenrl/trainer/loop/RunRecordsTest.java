package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.algorithms.rl.DynamicSampling;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StepRollouts;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rollout.Example;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.trainer.setup.PromptCodec;

/** The small pieces behind what a run records: completion statistics and names logged once. */
class RunRecordsTest {
  @TempDir Path tmp;

  /**
   * One group of two rows: the first trained (rewards differ), its second token not in the loss.
   */
  private static RlTrainer.StepResult step(double r0) {
    return step(r0, new boolean[2][]);
  }

  /** The same with a policy mask per row (null rows: all the policy's). */
  private static RlTrainer.StepResult step(double r0, boolean[][] policyMask) {
    CharTokenizer chars = CharTokenizer.ascii();
    int[] answer = chars.encodePlain("42");
    int[] wrong = chars.encodePlain("7");
    int[][] responses = {{answer[0], answer[1], chars.eos()}, {wrong[0], chars.eos()}};
    ScoredRollouts rows =
        new ScoredRollouts(
            2,
            List.of(new Example(3, "40+2=", "42", List.of())),
            new int[][] {chars.encodePlain("40+2="), chars.encodePlain("40+2=")},
            responses,
            new double[][] {{-0.1, -0.2, -0.3}, {-1, -2}},
            new double[][] {{0.5, 0.5, 0.5}, {1, 1}},
            new boolean[] {false, true},
            new boolean[] {true, false},
            new double[] {r0, 0},
            new double[2][],
            policyMask,
            Map.of(),
            5,
            new double[][] {{r0}, {0}});
    TokenCredit credit =
        new TokenCredit(
            new double[][] {{0.7, 0.7, 0.7}, {-0.7, -0.7}},
            new boolean[][] {{true, false, true}, {true, true}},
            new boolean[][] {{true, false, true}, {true, true}},
            Map.of());
    return new RlTrainer.StepResult(Map.of(), rows, credit);
  }

  @Test
  void rolloutFilesRoundTripRotateUnderTheCapAndFollowAResume() throws Exception {
    RunDirectory dir = new RunDirectory(tmp);
    CompositeReward reward =
        new CompositeReward(
            List.of(new CompositeReward.Component("task", 1.0, null)),
            CompositeReward.OnError.STOP);
    PromptCodec codec = new PromptCodec(CharTokenizer.ascii(), null);
    new RolloutArchive(dir, 1, Long.MAX_VALUE, "grpo", reward, DynamicSampling.Mode.DROP, codec)
        .save(11, 1, step(1));
    StepRollouts back = StepRollouts.read(dir.rolloutFile(11));
    assertEquals("11", back.metadata().get("step"));
    assertEquals(List.of("task"), back.components());
    StepRollouts.Row first = back.rows().get(0);
    assertEquals("42", first.responseText().strip());
    assertEquals("42", first.rollout().reference());
    assertEquals(1.0, first.componentScores()[0]);
    assertTrue(first.inUpdate() && first.kept(), "a group with reward spread trains");
    assertEquals(
        List.of(true, false, true),
        List.of(first.inLoss()[0], first.inLoss()[1], first.inLoss()[2]));
    assertEquals(-0.2f, first.rollout().logprobs()[1]);
    assertTrue(back.rows().get(1).rollout().truncated());
    // Equal rewards: under drop the group is left out of the update.
    new RolloutArchive(dir, 1, Long.MAX_VALUE, "grpo", reward, DynamicSampling.Mode.DROP, codec)
        .save(12, 2, step(0));
    assertFalse(StepRollouts.read(dir.rolloutFile(12)).rows().get(0).inUpdate());

    long size = Files.size(dir.rolloutFile(11));
    RolloutArchive capped =
        new RolloutArchive(
            dir, 1, (long) (2.5 * size), "grpo", reward, DynamicSampling.Mode.OFF, codec);
    for (int s = 13; s <= 15; s++) {
      capped.save(s, s - 10, step(1));
    }
    assertEquals(List.of(14L, 15L), dir.rolloutFiles().stream().map(RunDirectory::stepOf).toList());
    Files.writeString(dir.rollouts().resolve(".step-000016.arrow.123.tmp"), "cut");
    RolloutArchive.repairForResume(dir, 14);
    assertEquals(List.of(14L), dir.rolloutFiles().stream().map(RunDirectory::stepOf).toList());
    try (var left = Files.list(dir.rollouts())) {
      assertEquals(1, left.count(), "the killed write's temporary file is gone too");
    }
    assertTrue(
        capped.at(3)
            && !new RolloutArchive(dir, 0, 1, "grpo", reward, DynamicSampling.Mode.OFF, codec)
                .at(3));
  }

  @Test
  void savedMultiTurnRolloutsSayWhichTokensTheEnvironmentWroteAndOldFilesStillLoad()
      throws Exception {
    RunDirectory dir = new RunDirectory(tmp.resolve("mt"));
    CompositeReward reward =
        new CompositeReward(
            List.of(new CompositeReward.Component("task", 1.0, null)),
            CompositeReward.OnError.STOP);
    PromptCodec codec = new PromptCodec(CharTokenizer.ascii(), null);
    // Row 0's middle token is a tool result (the environment's), row 1 is all the policy's.
    new RolloutArchive(dir, 1, Long.MAX_VALUE, "grpo", reward, DynamicSampling.Mode.OFF, codec)
        .save(7, 1, step(1, new boolean[][] {{true, false, true}, {true, true}}));
    Path file = dir.rolloutFile(7);
    String read =
        org.tokenrl.core.PythonRunner.run(
            String.join(
                "\n",
                "import json, sys, pyarrow as pa",
                "t = pa.ipc.open_file(sys.argv[1]).read_all()",
                "print(json.dumps({'names': t.column_names,",
                "  'mask_type': str(t.schema.field('loss_mask').type),",
                "  'loss_mask': t.column('loss_mask').to_pylist(),",
                "  'in_loss': t.column('in_loss').to_pylist()}))"),
            file.toString());
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(read);
    assertEquals("list<item: bool not null>", json.get("mask_type").asText());
    assertEquals("[[true,false,true],[true,true]]", json.get("loss_mask").toString());
    assertEquals("[[true,false,true],[true,true]]", json.get("in_loss").toString());
    List<String> names = new java.util.ArrayList<>();
    json.get("names").forEach(n -> names.add(n.asText()));
    assertEquals(1, java.util.Collections.frequency(names, "loss_mask"), "one column of that name");
    StepRollouts back = StepRollouts.read(file);
    assertEquals(
        "[true, false, true]", java.util.Arrays.toString(back.rows().get(0).rollout().lossMask()));

    // A file saved before the policy mask: its one loss_mask column (after advantages) meant
    // "in the loss"; it reads with every token the policy's.
    Path old = tmp.resolve("old.arrow");
    org.tokenrl.core.PythonRunner.run(
        String.join(
            "\n",
            "import sys, pyarrow as pa",
            "t = pa.ipc.open_file(sys.argv[1]).read_all()",
            "meta = dict(t.schema.metadata); meta[b'format_version'] = b'1'",
            "t = t.drop_columns(['loss_mask']).rename_columns(",
            "  ['loss_mask' if n == 'in_loss' else n for n in t.column_names if n != 'loss_mask'])",
            "t = t.replace_schema_metadata(meta)",
            "with pa.OSFile(sys.argv[2], 'wb') as f:",
            "    with pa.ipc.new_file(f, t.schema) as w: w.write_table(t)"),
        file.toString(),
        old.toString());
    StepRollouts oldRows = StepRollouts.read(old);
    StepRollouts.Row first = oldRows.rows().get(0);
    assertEquals("[true, true, true]", java.util.Arrays.toString(first.rollout().lossMask()));
    assertEquals("[true, false, true]", java.util.Arrays.toString(first.inLoss()));
  }

  @Test
  void parametersPrintInPeftsFormatWithLoraAdaptersAsTheTrainableOnes() {
    // d=8, 1 layer, heads 2, d_ff 16, vocab 10, context 16; rank-2 adapters on wq and w2:
    // wq [8x8] gets A [2x8] + B [8x2] = 32, w2 [16->8] gets A [2x16] + B [8x2] = 48.
    org.tokenrl.model.arch.GptConfig shape =
        new org.tokenrl.model.arch.GptConfig(10, 8, 1, 2, 16, 16);
    try (org.tokenrl.model.Policy full =
            org.tokenrl.model.Policy.create(
                shape, org.tokenrl.model.OptimizerConfig.defaults(1e-3), 1);
        org.tokenrl.model.Policy lora =
            org.tokenrl.model.Policy.create(
                shape,
                org.tokenrl.model.OptimizerConfig.defaults(1e-3),
                1,
                new org.tokenrl.model.LoraConfig(2, 4.0, 0.0, List.of("wq", "w2")))) {
      ParameterCount f = ParameterCount.of(full);
      assertEquals(f.all(), f.trainable());
      assertEquals(shape.parameterCount(), f.all());
      ParameterCount l = ParameterCount.of(lora);
      assertEquals(80, l.trainable());
      assertEquals(f.all() + 80, l.all(), "PEFT's all params count the adapters too");
      assertEquals(
          String.format(
              "trainable params: 80 || all params: %,d || trainable%%: %.4f",
              l.all(), 100.0 * 80 / l.all()),
          l.toString());
    }
  }

  @Test
  void completionStatisticsFollowTrlsDefinitions() {
    int[][] responses = {{1, 2, 3}, {4}, {5, 6, 7, 8, 9}, {1, 1}};
    boolean[] truncated = {false, false, true, false};
    double[] rewards = {1, 1, 0, 0.5}; // group 0 all equal, group 1 not
    Map<String, Double> m = CompletionStats.of(responses, truncated, rewards, 2);
    assertEquals(11 / 4.0, m.get(Metrics.COMPLETIONS_MEAN_LENGTH), 1e-12);
    assertEquals(1.0, m.get(Metrics.COMPLETIONS_MIN_LENGTH));
    assertEquals(5.0, m.get(Metrics.COMPLETIONS_MAX_LENGTH));
    assertEquals(0.25, m.get(Metrics.COMPLETIONS_CLIPPED_RATIO));
    assertEquals(6 / 3.0, m.get(Metrics.COMPLETIONS_MEAN_TERMINATED_LENGTH), 1e-12);
    assertEquals(1.0, m.get(Metrics.COMPLETIONS_MIN_TERMINATED_LENGTH));
    assertEquals(3.0, m.get(Metrics.COMPLETIONS_MAX_TERMINATED_LENGTH));
    assertEquals(0.5, m.get(Metrics.COMPLETIONS_ZERO_STD_GROUP_FRAC));
    // Every response cut: no terminated length (NaN, written as null), all clipped.
    Map<String, Double> cut =
        CompletionStats.of(new int[][] {{1}, {2}}, new boolean[] {true, true}, new double[2], 2);
    assertTrue(Double.isNaN(cut.get(Metrics.COMPLETIONS_MEAN_TERMINATED_LENGTH)));
    assertEquals(1.0, cut.get(Metrics.COMPLETIONS_CLIPPED_RATIO));
    assertEquals(1.0, cut.get(Metrics.COMPLETIONS_ZERO_STD_GROUP_FRAC));
  }

  @Test
  void rewardMeansThatRepeatAnotherMetricAreNotLogged() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(Metrics.rewardMean("task"), 0.5);
    m.put(Metrics.rewardMean("bleu"), 0.3);
    m.put(Metrics.REWARD_ERRORS, 0.0);
    CompositeReward two =
        new CompositeReward(
            List.of(
                new CompositeReward.Component("task", 1.0, null),
                new CompositeReward.Component("bleu", 1.0, null)),
            CompositeReward.OnError.STOP);
    Map<String, Double> kept = OnceNamed.rewardMetrics(m, two);
    assertFalse(kept.containsKey(Metrics.rewardMean("task")), "that is train/accuracy");
    assertTrue(kept.containsKey(Metrics.rewardMean("bleu")));
    CompositeReward alone =
        new CompositeReward(
            List.of(new CompositeReward.Component("bleu", 1.0, null)),
            CompositeReward.OnError.STOP);
    assertFalse(
        OnceNamed.rewardMetrics(m, alone).containsKey(Metrics.rewardMean("bleu")),
        "the one weight-1 component is train/reward_mean");
    CompositeReward half =
        new CompositeReward(
            List.of(new CompositeReward.Component("bleu", 0.5, null)),
            CompositeReward.OnError.STOP);
    assertTrue(OnceNamed.rewardMetrics(m, half).containsKey(Metrics.rewardMean("bleu")));

    Map<String, Double> step = new LinkedHashMap<>(Map.of(Metrics.ACTOR_PG_LOSS, 1.0));
    OnceNamed.dropRepeats(step, true);
    assertFalse(step.containsKey(Metrics.ACTOR_PG_LOSS), "actor/loss without a KL term");
    step = new LinkedHashMap<>(Map.of(Metrics.ACTOR_PG_LOSS, 1.0, Metrics.ACTOR_KL, 0.1));
    OnceNamed.dropRepeats(step, true);
    assertTrue(step.containsKey(Metrics.ACTOR_PG_LOSS));
  }
}
