package org.tokenrl.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.ResolvedConfig;
import org.tokenrl.model.SafeTensors;

/**
 * configs/smollm2-arith.conf, shrunk to 2 GRPO steps of 2 prompts × 4 samples and a few tokens, on
 * the real SmolLM2-135M-Instruct (from the project's model cache) with LoRA and chat prompts: the
 * RL steps took updates and moved the adapters (B starts at exactly zero), the base did not train.
 */
class SmolLm2GrpoTest {
  @TempDir Path tmp;

  @Test
  void twoGrpoStepsOnSmolLm2ChangeTheAdapters() throws Exception {
    Path runDir = tmp.resolve("run");
    ResolvedConfig cfg =
        ConfigLoader.load(
            TrainingRunTest.ROOT.resolve("configs"),
            TrainingRunTest.ROOT.resolve("configs/smollm2-arith.conf"),
            List.of(
                "task.digits=1",
                "task.min_digits=1",
                "task.train_size=40",
                "task.eval_size=8",
                "task.instruction=\"\"",
                // 8 tokens rarely finish a sum; a reward for writing a digit varies within
                // groups, so the test does not depend on the model solving anything.
                "rewards=[{name=task, weight=1.0}, {name=regex, pattern=\"[0-9]\", mode=find,"
                    + " weight=1.0}]",
                "rollout.max_new_tokens=8",
                "trainer.steps=2",
                "trainer.prompts_per_step=2",
                "trainer.group_size=4",
                "trainer.eval_every=0",
                "trainer.eval_size=4",
                "trainer.checkpoint_every=0",
                "trainer.run_dir=\"" + runDir + "\""));
    RunDirectory dir = RunDirectory.createNew(runDir.toString(), "smol");
    Files.writeString(dir.config(), cfg.render());
    new TrainingRun(cfg.config(), dir, TrainingRunTest.ROOT).run(false);

    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(dir.metrics());
    assertEquals(2, lines.size(), "one metrics line per GRPO step");
    for (String line : lines) {
      JsonNode m = json.readTree(line);
      assertEquals(0.0, m.path("optim/skipped").asDouble(), line);
      assertTrue(m.path("optim/grad_norm").asDouble() > 0, "a non-zero adapter gradient: " + line);
    }
    Path ckpt = dir.latestCheckpoint().orElseThrow();
    Map<String, float[]> w = SafeTensors.read(ckpt.resolve("model.safetensors")).tensors();
    int adapters = 0;
    int moved = 0;
    for (Map.Entry<String, float[]> e : w.entrySet()) {
      if (e.getKey().endsWith("lora_B.weight")) {
        adapters++;
        boolean nonZero = false;
        for (float x : e.getValue()) {
          nonZero |= x != 0f;
        }
        moved += nonZero ? 1 : 0;
      }
    }
    assertEquals(30 * 7, adapters, "rank-8 adapters on the 7 projections of 30 layers");
    assertEquals(adapters, moved, "every B left zero: the RL steps trained the adapters");
    assertFalse(w.containsKey("lm_head.weight"), "SmolLM2's head is tied to the embedding");
  }
}
