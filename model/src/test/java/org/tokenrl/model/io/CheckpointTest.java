package org.tokenrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.UpdateStats;
import org.tokenrl.model.arch.GptConfig;

/** Save/load round trips, optimizer continuation, checksum errors and atomic replacement. */
class CheckpointTest {
  static final GptConfig CFG = new GptConfig(9, 16, 2, 2, 32, 16);
  static final int[][] PROMPTS = {{0, 1, 2}, {0, 5}};
  static final int[][] RESPONSES = {{3, 4, 8}, {6, 7, 1, 2}};
  static final double[][] COEF = {{-0.3, -0.3, -0.3}, {0.2, -0.5, -0.1, -0.4}};

  @TempDir Path tmp;

  private static Policy trained() {
    Policy p = Policy.create(CFG, new OptimizerConfig(3e-3, 0.9, 0.95, 1e-8, 0.1, 1.0), 9);
    for (int i = 0; i < 3; i++) {
      assertFalse(p.update(PROMPTS, RESPONSES, COEF, null, 1.0).skipped());
    }
    p.setLearningRate(2e-3);
    return p;
  }

  @Test
  void saveLoadGivesIdenticalScoresAndOptimizerContinuation() throws IOException {
    Policy original = trained();
    Path dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, original, "{\"tok\":1}", "{\"step\":3}");
    Checkpoint.Loaded loaded = Checkpoint.load(dir);
    assertEquals("{\"tok\":1}", loaded.tokenizerJson());
    assertEquals("{\"step\":3}", loaded.trainerStateJson());
    Policy restored = loaded.policy();
    assertEquals(original.config(), restored.config());
    assertEquals(original.optimizer().step(), restored.optimizer().step());
    assertEquals(original.optimizer().learningRate(), restored.optimizer().learningRate());
    assertArrayEquals(
        original.score(PROMPTS, RESPONSES, 1.0).logprobs()[1],
        restored.score(PROMPTS, RESPONSES, 1.0).logprobs()[1]);

    UpdateStats a = original.update(PROMPTS, RESPONSES, COEF, null, 1.0);
    UpdateStats b = restored.update(PROMPTS, RESPONSES, COEF, null, 1.0);
    assertEquals(a.loss(), b.loss());
    assertEquals(a.gradNorm(), b.gradNorm());
    Map<String, float[]> wa = original.exportWeights();
    Map<String, float[]> wb = restored.exportWeights();
    wa.forEach((k, w) -> assertArrayEquals(w, wb.get(k), k));
    Map<String, float[]> oa = original.optimizer().exportState();
    Map<String, float[]> ob = restored.optimizer().exportState();
    oa.forEach((k, s) -> assertArrayEquals(s, ob.get(k), k));
  }

  @Test
  void corruptedByteGivesChecksumErrorNamingTheFile() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, trained(), "{}", "{}");
    Path weights = dir.resolve("model.safetensors");
    byte[] good = Files.readAllBytes(weights);
    byte[] bytes = good.clone();
    bytes[bytes.length - 3] ^= 0x10;
    Files.write(weights, bytes);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());

    Files.write(weights, good);
    Checkpoint.load(dir); // intact again
    Files.delete(dir.resolve("trainer_state.json"));
    IOException missing = assertThrows(IOException.class, () -> Checkpoint.load(dir));
    assertTrue(missing.getMessage().contains("trainer_state.json"), missing.getMessage());
  }

  @Test
  void saveReplacesAnExistingCheckpointAtomicallyAndLeavesNoTempFiles() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Policy first = Policy.create(CFG, OptimizerConfig.defaults(1e-3), 1);
    Checkpoint.save(dir, first, "{}", "{\"step\":1}");
    Policy second = trained();
    Checkpoint.save(dir, second, "{}", "{\"step\":2}");
    Checkpoint.Loaded loaded = Checkpoint.load(dir);
    assertEquals("{\"step\":2}", loaded.trainerStateJson());
    assertArrayEquals(
        second.exportWeights().get("wte"), loaded.policy().exportWeights().get("wte"));
    try (Stream<Path> siblings = Files.list(tmp)) {
      assertEquals(java.util.List.of(dir), siblings.toList(), "temp/old dirs must be cleaned up");
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(Checkpoint.FILES.size() + 1, files.count());
    }
  }

  @Test
  void importWeightsRejectsWrongShapesWithAClearMessage() {
    Policy p = Policy.create(CFG, OptimizerConfig.defaults(1e-3), 1);
    Map<String, float[]> w = p.exportWeights();
    w.put("wte", new float[3]);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> p.importWeights(w));
    assertTrue(e.getMessage().contains("wte"), e.getMessage());
  }
}
