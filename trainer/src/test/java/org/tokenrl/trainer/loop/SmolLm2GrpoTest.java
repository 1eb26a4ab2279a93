package org.tokenrl.trainer.loop;

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
import org.tokenrl.model.io.SafeTensors;
import org.tokenrl.runlog.RunDirectory;

/**
 * configs/smollm2-arith.conf, shrunk to 2 GRPO steps of 2 prompts × 4 samples and a few tokens, on
 * the real SmolLM2-135M-Instruct (from the project's model cache) with LoRA and chat prompts: the
 * RL steps took updates and moved the adapters (B starts at exactly zero), the base did not train,
 * the checkpoints hold the adapters and the base's digest only, and a run stopped after step 1 and
 * resumed ends with the uninterrupted run's adapters, bit for bit.
 */
class SmolLm2GrpoTest {
  @TempDir Path tmp;

  @Test
  void twoGrpoStepsOnSmolLm2ChangeTheAdaptersAndResumeExactly() throws Exception {
    Path runDir = tmp.resolve("run");
    RunDirectory dir = run(runDir, Long.MAX_VALUE);
    checkTrained(dir);
    Path stopped = tmp.resolve("stopped");
    RunDirectory killed = run(stopped, 1);
    new TrainingRun(
            ConfigLoader.loadResolved(killed.config()).config(), killed, TrainingRunTest.ROOT)
        .run(true);
    Map<String, float[]> full =
        SafeTensors.read(dir.latestCheckpoint().orElseThrow().resolve("model.safetensors"))
            .tensors();
    Map<String, float[]> resumed =
        SafeTensors.read(killed.latestCheckpoint().orElseThrow().resolve("model.safetensors"))
            .tensors();
    assertEquals(full.keySet(), resumed.keySet());
    for (String k : full.keySet()) {
      assertTrue(java.util.Arrays.equals(full.get(k), resumed.get(k)), k);
    }
    String modelJson =
        Files.readString(killed.latestCheckpoint().orElseThrow().resolve("model.json"));
    assertTrue(modelJson.contains("\"base_model\"") && modelJson.contains("sha256"), modelJson);
  }

  private RunDirectory run(Path runDir, long stopAfter) throws Exception {
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
                "trainer.checkpoint_every=1",
                "trainer.eval_before_train=false",
                "trainer.run_dir=\"" + runDir + "\""));
    RunDirectory dir = RunDirectory.createNew(runDir.toString(), "smol");
    Files.writeString(dir.config(), cfg.render());
    new TrainingRun(cfg.config(), dir, TrainingRunTest.ROOT).stopAfter(stopAfter).run(false);
    return dir;
  }

  private static void checkTrained(RunDirectory dir) throws Exception {
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
    assertEquals(2 * adapters, w.size(), "a LoRA checkpoint holds the adapters alone");
    assertFalse(w.containsKey("model.embed_tokens.weight"), "no copy of the base");
  }
}
