package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.runlog.RunDirectory;

/**
 * Tiny runs with a KL term, one per kind of {@link org.tokenrl.model.ReferenceScorer}: a frozen
 * copy (full weights, kept as the reference checkpoint), the LoRA policy with its adapters off (no
 * SFT warm-up) and with the warm-up's adapters frozen.
 */
class KlReferenceRunTest {
  static final String KL = "algorithm.kl_beta=0.05";
  static final String LORA = "model.lora.rank=2";
  static final String GPT_TARGETS = "model.lora.targets=[wq, wv, w1]";

  @TempDir Path tmp;

  @Test
  void frozenCopyReference() throws Exception {
    Path run = TrainingRunTest.train(tmp.resolve("copy"), Long.MAX_VALUE, KL);
    assertKlLogged(run);
    assertTrue(
        Files.isDirectory(RunDirectory.existing(run).referenceCheckpoint()),
        "the frozen copy is kept on disk for a resume");
  }

  @Test
  void loraReferenceWithAdaptersOff() throws Exception {
    assertKlLogged(
        TrainingRunTest.train(
            tmp.resolve("off"), Long.MAX_VALUE, KL, LORA, GPT_TARGETS, "sft.steps=0"));
  }

  @Test
  void loraReferenceWithFrozenAdapters() throws Exception {
    assertKlLogged(
        TrainingRunTest.train(tmp.resolve("frozen"), Long.MAX_VALUE, KL, LORA, GPT_TARGETS));
  }

  /** Every RL step logs a finite, non-negative k3 KL, and a later step a positive one. */
  private static void assertKlLogged(Path run) throws Exception {
    int rlSteps = 0;
    boolean moved = false;
    for (JsonNode step : TrainingRunTest.metrics(run)) {
      if (!step.has("train/reward_mean")) {
        continue; // an SFT step
      }
      rlSteps++;
      assertTrue(step.has("actor/kl"), "RL step without actor/kl: " + step);
      double kl = step.get("actor/kl").asDouble();
      assertTrue(Double.isFinite(kl) && kl >= 0, "actor/kl " + kl);
      moved |= kl > 0;
    }
    assertTrue(rlSteps >= 2, "the run has RL steps: " + rlSteps);
    assertTrue(moved, "the policy moved away from its reference");
  }
}
