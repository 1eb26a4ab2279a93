package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** AdamW's fused update against the textbook formula, element by element, over three steps. */
class AdamWTest {
  @Test
  void matchesTheTextbookUpdateWithDecayAndClipScale() {
    OptimizerConfig cfg = new OptimizerConfig(0.01, 0.9, 0.95, 1e-8, 0.1, 1.0);
    Random rng = new Random(2);
    INDArray w = Nd4j.create(rng.doubles(6, -1, 1).toArray(), new long[] {2, 3}, DataType.DOUBLE);
    INDArray b = Nd4j.create(rng.doubles(3, -1, 1).toArray(), new long[] {3}, DataType.DOUBLE);
    Map<String, INDArray> params = new LinkedHashMap<>(Map.of("w", w, "b", b));
    AdamW adam = new AdamW(cfg, params);
    Map<String, double[]> p = new LinkedHashMap<>();
    Map<String, double[]> m = new LinkedHashMap<>();
    Map<String, double[]> v = new LinkedHashMap<>();
    params.forEach(
        (k, a) -> {
          p.put(k, a.dup().data().asDouble());
          m.put(k, new double[(int) a.length()]);
          v.put(k, new double[(int) a.length()]);
        });
    double scale = 0.5;
    for (int t = 1; t <= 3; t++) {
      Map<String, INDArray> grads = new LinkedHashMap<>();
      Map<String, double[]> g = new LinkedHashMap<>();
      for (String k : params.keySet()) {
        double[] gk = rng.doubles(params.get(k).length(), -2, 2).toArray();
        g.put(k, gk);
        grads.put(k, Nd4j.create(gk, params.get(k).shape(), DataType.DOUBLE));
      }
      adam.apply(params, grads, scale, name -> name.equals("w"));
      for (String k : params.keySet()) {
        double[] pk = p.get(k);
        for (int i = 0; i < pk.length; i++) {
          double gi = g.get(k)[i] * scale;
          m.get(k)[i] = 0.9 * m.get(k)[i] + 0.1 * gi;
          v.get(k)[i] = 0.95 * v.get(k)[i] + 0.05 * gi * gi;
          double mHat = m.get(k)[i] / (1 - Math.pow(0.9, t));
          double vHat = v.get(k)[i] / (1 - Math.pow(0.95, t));
          if (k.equals("w")) {
            pk[i] *= 1 - 0.01 * 0.1;
          }
          pk[i] -= 0.01 * mHat / (Math.sqrt(vHat) + 1e-8);
          assertEquals(pk[i], params.get(k).getDouble(i), 1e-12, k + "[" + i + "] step " + t);
          assertEquals(m.get(k)[i], adam.m.get(k).getDouble(i), 1e-12);
          assertEquals(v.get(k)[i], adam.v.get(k).getDouble(i), 1e-12);
        }
      }
    }
  }

  @Test
  void zeroLearningRateMovesTheMomentsButNotTheWeights() {
    OptimizerConfig cfg = new OptimizerConfig(0.0, 0.9, 0.95, 1e-8, 0.1, 1.0);
    INDArray w = Nd4j.create(new double[] {0.5, -0.25, 1}, new long[] {1, 3}, DataType.DOUBLE);
    INDArray before = w.dup();
    AdamW adam = new AdamW(cfg, Map.of("w", w));
    INDArray g = Nd4j.create(new double[] {1, 2, -3}, new long[] {1, 3}, DataType.DOUBLE);
    adam.apply(Map.of("w", w), Map.of("w", g), 1.0, name -> true);
    assertEquals(before, w);
    assertEquals(0.1, adam.m.get("w").getDouble(0), 1e-12);
  }
}
