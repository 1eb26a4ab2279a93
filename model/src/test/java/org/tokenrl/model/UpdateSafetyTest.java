package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tokenrl.model.arch.GptConfig;

/** Non-finite inputs or gradients never touch weights or optimizer state; clipping works. */
class UpdateSafetyTest {
  static final GptConfig CFG = new GptConfig(9, 16, 1, 2, 32, 16);
  static final int[][] PROMPTS = {{0, 1, 2}, {0, 5}};
  static final int[][] RESPONSES = {{3, 4, 8}, {6, 7, 1, 2}};

  private static Policy warmedUp() {
    Policy p = Policy.create(CFG, new OptimizerConfig(1e-2, 0.9, 0.95, 1e-8, 0.1, 1.0), 4);
    double[][] coef = {{-1, -1, -1}, {-1, -1, -1, -1}};
    p.update(PROMPTS, RESPONSES, coef, null, 1.0); // non-zero Adam state to protect
    return p;
  }

  private static void assertUnchanged(Policy before, Policy after) {
    Map<String, float[]> w = after.exportWeights();
    before.exportWeights().forEach((k, v) -> assertArrayEquals(v, w.get(k), k));
    Map<String, float[]> s = after.optimizer().exportState();
    before.optimizer().exportState().forEach((k, v) -> assertArrayEquals(v, s.get(k), k));
  }

  private static Policy snapshot(Policy p) {
    Policy copy = p.copy();
    copy.optimizer()
        .importState(
            p.optimizer().exportState(), p.optimizer().step(), p.optimizer().learningRate());
    return copy;
  }

  @Test
  void nanTargetCoefficientSkipsTheUpdate() {
    Policy p = warmedUp();
    Policy before = snapshot(p);
    UpdateStats s =
        p.update(
            PROMPTS, RESPONSES, new double[][] {{-1, Double.NaN, -1}, {-1, -1, -1, -1}}, null, 1);
    assertTrue(s.skipped());
    assertTrue(s.skipReason().contains("targetCoef[0][1]"), s.skipReason());
    assertEquals(1, p.optimizer().step());
    assertUnchanged(before, p);
  }

  @Test
  void infiniteVocabCoefficientSkipsTheUpdate() {
    Policy p = warmedUp();
    Policy before = snapshot(p);
    float[][][] vocab = new float[2][][];
    vocab[0] = new float[3][CFG.vocabSize()];
    vocab[1] = new float[4][CFG.vocabSize()];
    vocab[1][2][5] = Float.POSITIVE_INFINITY;
    UpdateStats s =
        p.update(
            PROMPTS,
            RESPONSES,
            new double[][] {{0, 0, 0}, {0, 0, 0, 0}},
            PolicyGradientTest.sparse(vocab),
            1);
    assertTrue(s.skipped());
    assertUnchanged(before, p);
  }

  @Test
  void gradientOverflowInsideTheGraphSkipsTheUpdate() {
    Policy p = warmedUp();
    Policy before = snapshot(p);
    double huge = 3e38; // finite coefficients whose float32 gradient overflows
    UpdateStats s =
        p.update(
            PROMPTS,
            RESPONSES,
            new double[][] {{huge, huge, huge}, {huge, huge, huge, huge}},
            null,
            1);
    assertTrue(s.skipped(), "stats: " + s);
    assertTrue(s.skipReason().startsWith("non-finite"), s.skipReason());
    assertEquals(1, p.optimizer().step());
    assertUnchanged(before, p);
    // and the policy still trains normally afterwards
    assertFalse(
        p.update(PROMPTS, RESPONSES, new double[][] {{-1, -1, -1}, {-1, -1, -1, -1}}, null, 1)
            .skipped());
  }

  @Test
  void globalNormClippingScalesTheGradientFedToAdam() {
    double clip = 1e-3;
    Policy p = Policy.create(CFG, new OptimizerConfig(1e-2, 0.9, 0.95, 1e-8, 0.0, clip), 4);
    UpdateStats s =
        p.update(PROMPTS, RESPONSES, new double[][] {{-1, -1, -1}, {-1, -1, -1, -1}}, null, 1);
    assertTrue(s.gradNorm() > 10 * clip, "pre-clip norm is reported: " + s.gradNorm());
    double squares = 0;
    for (Map.Entry<String, float[]> e : p.optimizer().exportState().entrySet()) {
      if (e.getKey().startsWith("m.")) {
        for (float x : e.getValue()) {
          squares += (double) x * x;
        }
      }
    }
    // after one step m = (1 - beta1) * clipped gradient, whose norm is the clip norm
    assertEquals((1 - 0.9) * clip, Math.sqrt(squares), 1e-6 * clip);
  }
}
