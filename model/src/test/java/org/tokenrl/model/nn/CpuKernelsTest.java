package org.tokenrl.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.model.AdamW;
import org.tokenrl.model.Generation;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Params;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.VocabCoef;
import org.tokenrl.model.arch.Batch;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * The CPU kernels against the ND4J ops they stand in for (run with the kernels switched off), layer
 * by layer in float (double arrays take the ND4J path, which the finite-difference tests check),
 * then whole generations of a gpt and a GQA llama model with mixed prompt lengths: same greedy
 * tokens, same logits.
 */
class CpuKernelsTest {
  @AfterEach
  void kernelsBackOn() {
    CpuKernels.enabled = CpuBlas.ENABLED;
  }

  /** The layer's output with the kernels on, then off; asserts the kernel path was taken. */
  private static INDArray[] bothWays(Supplier<INDArray> layer) {
    CpuKernels.enabled = true;
    INDArray withKernels = layer.get().dup();
    CpuKernels.enabled = false;
    INDArray withNd4j = layer.get().dup();
    CpuKernels.enabled = true;
    return new INDArray[] {withKernels, withNd4j};
  }

  private static void assertSame(INDArray[] pair, DataType type, String what) {
    double tol = type == DataType.DOUBLE ? 1e-12 : 2e-6;
    double scale = Math.max(1e-30, pair[1].amaxNumber().doubleValue());
    double diff = pair[0].sub(pair[1]).amaxNumber().doubleValue();
    assertTrue(diff / scale < tol, what + " " + type + ": relative difference " + diff / scale);
  }

  @Test
  void normsRopeAndSwigluMatchNd4jOps() {
    for (DataType type : new DataType[] {DataType.FLOAT}) { // the kernels take float arrays
      Nd4j.getRandom().setSeed(3);
      Params p = new Params(type);
      p.put("ln.gain", Nd4j.randn(type, 24).addi(1));
      p.put("ln.bias", Nd4j.randn(type, 24));
      p.put("rms", Nd4j.randn(type, 24).addi(1));
      INDArray x = Nd4j.randn(type, 5, 24).muli(3).addi(2);
      LayerNorm ln = new LayerNorm(p, "ln.");
      assertSame(bothWays(() -> ln.forward(x, false)), type, "LayerNorm");
      RmsNorm rms = new RmsNorm(p, "rms", 1e-5);
      assertSame(bothWays(() -> rms.forward(x, false)), type, "RMSNorm");
      Rope rope = new Rope(8, 10_000, type);
      Rope.Angles angles = rope.angles(new int[] {0, 3, 7, 1, 20});
      assertSame(bothWays(() -> rope.forward(x, angles)), type, "RoPE");
      INDArray up = Nd4j.randn(type, 5, 24);
      Gelu gelu = new Gelu();
      float[] grid = new float[4801]; // -12 .. 12 by 0.005: both sides of tanh's clamp
      for (int i = 0; i < grid.length; i++) {
        grid[i] = -12f + 0.005f * i;
      }
      INDArray wideX = Nd4j.create(grid, new long[] {1, grid.length}, 'c');
      assertSame(bothWays(() -> gelu.forward(wideX, false)), type, "GELU");
      assertSame(
          bothWays(
              () -> {
                INDArray g = gelu.forward(x, true);
                return Nd4j.concat(0, g, gelu.backward(up));
              }),
          type,
          "GELU train");
      SwiGlu swiglu = new SwiGlu();
      assertSame(bothWays(() -> swiglu.forward(x, up, false)), type, "SwiGLU");
      // the kernels ran (they decline what they cannot read in place, silently)
      INDArray y = x.ulike();
      assertTrue(CpuKernels.norm(x, true, p.get("ln.gain"), p.get("ln.bias"), 1e-5, y, null, null));
      assertTrue(CpuKernels.norm(x, false, p.get("rms"), null, 1e-5, y, null, null));
      assertTrue(CpuKernels.rope(x, angles.cos(), angles.sin(), 8, y));
      assertTrue(CpuKernels.swiglu(x, up, y));
      assertTrue(CpuKernels.gelu(x, y));
      assertFalse(CpuKernels.swiglu(x.transpose(), up.transpose(), y.transpose()), "column-major");
      INDArray wide = x.castTo(DataType.DOUBLE);
      assertFalse(CpuKernels.swiglu(wide, wide, wide.ulike()), "double: the ND4J path");
      p.close();
    }
  }

  @Test
  void trainingForwardAndBackwardMatchNd4jOps() {
    for (DataType type : new DataType[] {DataType.FLOAT}) { // the kernels take float arrays
      Nd4j.getRandom().setSeed(9);
      Params p = new Params(type);
      p.put("ln.gain", Nd4j.randn(type, 24).addi(1));
      p.put("ln.bias", Nd4j.randn(type, 24));
      p.put("rms", Nd4j.randn(type, 24).addi(1));
      INDArray x = Nd4j.randn(type, 10, 24).muli(3).addi(1);
      INDArray dy = Nd4j.randn(type, 10, 24);
      LayerNorm ln = new LayerNorm(p, "ln.");
      assertSame(
          bothWays(
              () -> {
                p.zeroGrads();
                INDArray y = ln.forward(x, true);
                INDArray dx = ln.backward(dy);
                return Nd4j.concat(
                    0, y, dx, p.grad("ln.gain").reshape(1, 24), p.grad("ln.bias").reshape(1, 24));
              }),
          type,
          "LayerNorm train");
      RmsNorm rms = new RmsNorm(p, "rms", 1e-5);
      assertSame(
          bothWays(
              () -> {
                p.zeroGrads();
                INDArray y = rms.forward(x, true);
                return Nd4j.concat(0, y, rms.backward(dy), p.grad("rms").reshape(1, 24));
              }),
          type,
          "RMSNorm train");
      // GQA attention over 2 sequences of 5 slots, the second left-padded by 2
      int n = 2;
      int t = 5;
      Attention attn = new Attention(6, 2, 4);
      INDArray q = Nd4j.randn(type, n * t, 24);
      INDArray k = Nd4j.randn(type, n * t, 8);
      INDArray v = Nd4j.randn(type, n * t, 8);
      INDArray dOut = Nd4j.randn(type, n * t, 24);
      INDArray mask = Batch.leftPadded(new int[][] {{1, 2, 3, 4, 5}, {1, 2, 3}}, 8).mask(type);
      assertSame(
          bothWays(
              () -> {
                INDArray out = attn.forward(q, k, v, mask, n, t);
                INDArray keys = attn.keys().reshape(n * t, 8).dup();
                INDArray[] d = attn.backward(dOut, n, t);
                return Nd4j.concat(1, out, d[0], d[1], d[2], keys);
              }),
          type,
          "attention train");
      p.close();
    }
  }

  @Test
  void lmHeadEmbeddingGradientAndSquaredNormMatchNd4jOps() {
    Nd4j.getRandom().setSeed(21);
    INDArray hidden = Nd4j.randn(DataType.FLOAT, 7, 16).muli(2);
    INDArray w = Nd4j.randn(DataType.FLOAT, 11, 16);
    int[] targets = {3, -1, 10, 0, 3, 7, 5};
    double[] targetCoef = {0.5, 0, -1.0, 2.0, 0, 0.25, -0.125};
    VocabCoef[] vocabCoef = new VocabCoef[7];
    vocabCoef[0] = new VocabCoef(new int[] {3, 4}, new float[] {0.5f, -0.25f}); // one at the target
    vocabCoef[5] = new VocabCoef(new int[] {0, 10, 2}, new float[] {1f, 0f, -2f});
    // the entropy term: off, then on some rows (0 on others, the row without a target included)
    double[][] entropyCoefs = {null, {0.3, -0.7, 0, 1.5, -0.2, 0, 0.05}};
    long defaultChunk = LmHead.chunkElements;
    try {
      for (long chunkElements : new long[] {1L << 24, 3 * 11}) { // one chunk, then rows by 3
        for (double[] entropyCoef : entropyCoefs) {
          LmHead.chunkElements = chunkElements;
          assertSame(
              bothWays(
                  () -> {
                    INDArray dW = w.ulike().assign(0.5);
                    List<float[]> rows = new ArrayList<>();
                    float[][] seen = new float[7][];
                    LmHead.Result r =
                        LmHead.run(
                            hidden,
                            w,
                            dW,
                            targets,
                            0.7,
                            targetCoef,
                            vocabCoef,
                            entropyCoef,
                            (row, i) -> seen[i] = row.clone());
                    for (float[] row : seen) {
                      rows.add(row);
                    }
                    double[] stats = new double[7 * 2 + 1];
                    for (int i = 0; i < 7; i++) {
                      stats[i] = i == 1 ? 0 : r.logp()[i];
                      stats[7 + i] = r.entropy()[i];
                    }
                    stats[14] = r.loss();
                    assertTrue(Double.isNaN(r.logp()[1]), "a row without a target has log p NaN");
                    INDArray flat =
                        Nd4j.concat(
                            0,
                            Nd4j.create(rows.toArray(new float[0][])).reshape(-1),
                            Nd4j.createFromArray(stats).castTo(DataType.FLOAT),
                            r.dHidden().reshape(-1),
                            dW.reshape(-1));
                    return flat.reshape(1, -1);
                  }),
              DataType.FLOAT,
              "LM head, chunk " + chunkElements + (entropyCoef == null ? "" : ", entropy term"));
        }
      }
    } finally {
      LmHead.chunkElements = defaultChunk;
    }
    INDArray dy = Nd4j.randn(DataType.FLOAT, 6, 16);
    int[] ids = {4, 1, 4, 0, 4, 9}; // repeated ids accumulate
    assertSame(
        bothWays(
            () -> {
              INDArray table = w.dup();
              Embedding.scatterAddRows(table, ids, dy);
              return table;
            }),
        DataType.FLOAT,
        "embedding gradient");
    assertTrue(CpuKernels.scatterAddRows(w.dup(), ids, dy), "the kernel ran");
    for (long size : new long[] {33_000, 1L << 23}) { // the second: where float sums drift
      INDArray g = Nd4j.randn(DataType.FLOAT, 1, size).addi(0.5);
      double exact = 0;
      for (float f : g.data().asFloat()) {
        exact += (double) f * f;
      }
      // float products, double sums: ~1e-9 relative; a float accumulator drifts by percents at 8M
      assertEquals(exact, CpuKernels.sumOfSquares(g), 1e-6 * exact, "Σ x² of " + size);
    }
  }

  @Test
  void adamWMatchesNd4jsFusedOp() {
    Nd4j.getRandom().setSeed(13);
    INDArray w0 = Nd4j.randn(DataType.FLOAT, 40, 30);
    INDArray b0 = Nd4j.randn(DataType.FLOAT, 30);
    INDArray[] g = {Nd4j.randn(DataType.FLOAT, 40, 30), Nd4j.randn(DataType.FLOAT, 30)};
    assertSame(
        bothWays(
            () -> {
              Map<String, INDArray> params = new LinkedHashMap<>();
              params.put("w", w0.dup());
              params.put("b", b0.dup());
              AdamW adam = new AdamW(new OptimizerConfig(0.01, 0.9, 0.95, 1e-8, 0.1, 1.0), params);
              for (int step = 0; step < 3; step++) {
                Map<String, INDArray> grads =
                    Map.of("w", g[0].mul(step + 1), "b", g[1].mul(step - 1));
                adam.apply(params, grads, 0.5, name -> name.equals("w"));
              }
              INDArray moments = Nd4j.concat(0, adam.m.get("w"), adam.v.get("w"));
              return Nd4j.concat(0, params.get("w"), params.get("b").reshape(1, 30), moments);
            }),
        DataType.FLOAT,
        "AdamW");
    INDArray p = w0.dup();
    assertTrue(
        CpuKernels.adamW(
            p,
            g[0].dup(),
            p.ulike().assign(0),
            p.ulike().assign(0),
            1,
            0.1,
            0.9,
            0.95,
            1e-8,
            0.1,
            0.05,
            0));
    assertFalse(p.equals(w0), "the step moved the weights");
  }

  @Test
  void generationsWithAndWithoutKernelsAgree() {
    LlamaConfig gqa = new LlamaConfig(13, 16, 24, 2, 4, 2, 4, 1e-5, 500, true, 32, false);
    GptConfig gpt = new GptConfig(13, 16, 2, 2, 32, 24);
    int[][] prompts = {{0, 1, 2}, {0}, {0, 4, 5, 6, 7, 8}, {0, 9}};
    long[] seeds = {1, 2, 3, 4};
    SamplingParams greedy = new SamplingParams(1.0, 0, 1.0, 8, -1, true);
    SamplingParams sampled = new SamplingParams(1.0, 0, 1.0, 8, -1, false);
    List<Supplier<Policy>> models =
        List.of(
            () -> Policy.create(gqa, OptimizerConfig.defaults(1e-3), 9),
            () -> Policy.create(gpt, OptimizerConfig.defaults(1e-3), 9));
    for (Supplier<Policy> model : models) {
      try (Policy p = model.get()) {
        String first = p.parameterShapes().keySet().iterator().next();
        p.parameter(first).muli(20); // peaked distributions
        for (SamplingParams params : new SamplingParams[] {greedy, sampled}) {
          List<double[][]> on = new ArrayList<>();
          List<double[][]> off = new ArrayList<>();
          CpuKernels.enabled = true;
          Generation a = p.decodeLoop(prompts, params, seeds, true, on);
          CpuKernels.enabled = false;
          Generation b = p.decodeLoop(prompts, params, seeds, true, off);
          CpuKernels.enabled = true;
          // the generation happened: 8 tokens a row, 8 steps of logits, on both paths
          assertEquals(8, on.size());
          assertEquals(8, off.size());
          for (int i = 0; i < prompts.length; i++) {
            assertEquals(8, a.responses()[i].length, "row " + i);
            assertArrayEquals(b.responses()[i], a.responses()[i], "row " + i);
          }
          double worst = 0;
          for (int step = 0; step < on.size(); step++) {
            for (int i = 0; i < prompts.length; i++) {
              for (int k = 0; k < on.get(step)[i].length; k++) {
                worst = Math.max(worst, Math.abs(on.get(step)[i][k] - off.get(step)[i][k]));
              }
            }
          }
          assertTrue(worst < 1e-4, "max logit difference " + worst);
        }
      }
    }
  }
}
