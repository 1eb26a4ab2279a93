package org.tokenrl.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.model.VocabCoef;
import org.tokenrl.model.arch.Batch;

/**
 * The sliced kernels give the same bits on one slice as on several (each row computed by one thread
 * with the single-threaded operations; sums over rows serial), and SiLU's float exponential stays
 * within float rounding of the double reference.
 */
class ParallelRowsTest {
  @AfterEach
  void automatic() {
    ParallelRows.forcedSlices = 0;
    CpuKernels.enabled = CpuBlas.ENABLED;
  }

  @Test
  void slicesCoverEveryRowOnceAndRunOnSeveralThreads() {
    for (int rows : new int[] {0, 1, 5, 64, 1001}) {
      for (int slices : new int[] {1, 2, 3, 7}) {
        ParallelRows.forcedSlices = slices;
        int[] seen = new int[rows];
        ParallelRows.run(
            rows,
            1,
            (from, to) -> {
              for (int r = from; r < to; r++) {
                synchronized (seen) {
                  seen[r]++;
                }
              }
            });
        int[] once = new int[rows];
        Arrays.fill(once, 1);
        assertArrayEquals(once, seen, rows + " rows, " + slices + " slices");
      }
    }
    ParallelRows.forcedSlices = 0;
    assertEquals(1, ParallelRows.slices(1000, ParallelRows.MIN_WORK - 1), "small loops inline");
    assertEquals(1, ParallelRows.slices(1, 1L << 30), "never more slices than rows");
    // with the pool's worker available, slices of real work run on more than one thread
    ParallelRows.forcedSlices = 4;
    java.util.Set<Thread> threads = ConcurrentHashMap.newKeySet();
    for (int attempt = 0; attempt < 50 && threads.size() < 2; attempt++) {
      ParallelRows.run(
          4,
          1,
          (from, to) -> {
            threads.add(Thread.currentThread());
            busy();
          });
    }
    assertTrue(
        threads.size() > 1 || java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() < 2,
        "slices ran on " + threads.size() + " thread(s)");
  }

  private static void busy() {
    long until = System.nanoTime() + 2_000_000;
    while (System.nanoTime() < until) {
      Thread.onSpinWait();
    }
  }

  /** The arrays the call returns, as bits, on 1 slice and on 2, 3 and 5. */
  private static void sameBitsOnAnySlices(String what, Supplier<INDArray[]> call) {
    CpuKernels.enabled = true;
    ParallelRows.forcedSlices = 1;
    int[][] single = bits(call.get());
    for (int slices : new int[] {2, 3, 5}) {
      ParallelRows.forcedSlices = slices;
      int[][] sliced = bits(call.get());
      for (int i = 0; i < single.length; i++) {
        assertArrayEquals(single[i], sliced[i], what + ", output " + i + ", " + slices + " slices");
      }
    }
  }

  private static int[][] bits(INDArray... outputs) {
    int[][] out = new int[outputs.length][];
    for (int i = 0; i < outputs.length; i++) {
      float[] f = outputs[i].dup().data().asFloat();
      out[i] = new int[f.length];
      for (int j = 0; j < f.length; j++) {
        out[i][j] = Float.floatToRawIntBits(f[j]);
      }
    }
    return out;
  }

  @Test
  void normsRopeAndActivationsGiveTheSameBitsOnAnySlices() {
    Nd4j.getRandom().setSeed(5);
    DataType f = DataType.FLOAT;
    INDArray x = Nd4j.randn(f, 37, 40).muli(3).addi(1);
    INDArray dy = Nd4j.randn(f, 37, 40);
    INDArray gain = Nd4j.randn(f, 40).addi(1);
    INDArray bias = Nd4j.randn(f, 40);
    for (boolean centre : new boolean[] {true, false}) {
      sameBitsOnAnySlices(
          centre ? "LayerNorm" : "RMSNorm",
          () -> {
            INDArray y = x.ulike();
            INDArray xh = x.ulike();
            INDArray r = Nd4j.create(f, 37, 1);
            assertTrue(CpuKernels.norm(x, centre, gain, centre ? bias : null, 1e-5, y, xh, r));
            INDArray dGain = Nd4j.ones(f, 40);
            INDArray dBias = Nd4j.ones(f, 40);
            INDArray dx = x.ulike();
            assertTrue(
                CpuKernels.normBackward(dy, centre, gain, xh, r, dGain, centre ? dBias : null, dx));
            return new INDArray[] {y, xh, r, dx, dGain, dBias};
          });
    }
    Rope rope = new Rope(8, 10_000, f);
    int[] positions = new Random(2).ints(37, 0, 300).toArray();
    Rope.Angles a = rope.angles(positions);
    sameBitsOnAnySlices("RoPE", () -> new INDArray[] {rope.forward(x, a), rope.backward(dy, a)});
    sameBitsOnAnySlices(
        "GELU",
        () -> {
          INDArray y = x.ulike();
          INDArray dx = x.ulike();
          assertTrue(CpuKernels.gelu(x, y));
          assertTrue(CpuKernels.geluBackward(x, dy, dx));
          return new INDArray[] {y, dx};
        });
    INDArray up = Nd4j.randn(f, 37, 40);
    sameBitsOnAnySlices(
        "SwiGLU",
        () -> {
          SwiGlu s = new SwiGlu();
          INDArray scored = s.forward(x, up, false);
          INDArray h = s.forward(x, up, true);
          INDArray[] d = s.backward(dy);
          return new INDArray[] {scored, h, d[0], d[1]};
        });
  }

  @Test
  void attentionEmbeddingGradientAndLmHeadGiveTheSameBitsOnAnySlices() {
    Nd4j.getRandom().setSeed(8);
    DataType f = DataType.FLOAT;
    int n = 2;
    int t = 9;
    int heads = 6;
    int hd = 4;
    INDArray q = Nd4j.randn(f, n * t, heads * hd);
    INDArray k = Nd4j.randn(f, n * t, 2 * hd);
    INDArray v = Nd4j.randn(f, n * t, 2 * hd);
    INDArray dOut = Nd4j.randn(f, n * t, heads * hd);
    INDArray mask =
        Batch.leftPadded(new int[][] {{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4}}, 16).mask(f);
    sameBitsOnAnySlices(
        "attention",
        () -> {
          Attention attn = new Attention(heads, 2, hd);
          INDArray out = attn.forward(q, k, v, mask, n, t);
          INDArray[] d = attn.backward(dOut, n, t);
          return new INDArray[] {out, d[0], d[1], d[2]};
        });
    int[] ids = new Random(3).ints(40, 0, 11).toArray(); // repeats accumulate
    INDArray rows = Nd4j.randn(f, 40, 16);
    INDArray table = Nd4j.randn(f, 11, 16);
    sameBitsOnAnySlices(
        "embedding gradient",
        () -> {
          INDArray sum = table.dup();
          assertTrue(CpuKernels.scatterAddRows(sum, ids, rows));
          return new INDArray[] {sum};
        });
    INDArray hidden = Nd4j.randn(f, 13, 16).muli(2);
    INDArray w = Nd4j.randn(f, 29, 16);
    Random rng = new Random(4);
    int[] targets = rng.ints(13, -1, 29).toArray();
    double[] coef = rng.doubles(13, -1, 1).toArray();
    double[] entropyCoef = rng.doubles(13, -0.5, 0.5).toArray();
    entropyCoef[4] = 0;
    VocabCoef[] vocab = new VocabCoef[13];
    vocab[2] = new VocabCoef(new int[] {1, 7, 28}, new float[] {0.5f, 0f, -1.5f});
    vocab[9] = new VocabCoef(new int[] {targets[9] < 0 ? 0 : targets[9]}, new float[] {0.25f});
    long defaultChunk = LmHead.chunkElements;
    try {
      for (long chunk : new long[] {1L << 24, 5 * 29}) { // one chunk, then chunks of 5 rows
        LmHead.chunkElements = chunk;
        for (boolean withRows : new boolean[] {false, true}) {
          sameBitsOnAnySlices(
              "LM head, chunk " + chunk + (withRows ? ", rows consumer" : ""),
              () -> {
                INDArray dW = w.ulike().assign(0.5);
                List<float[]> seen = new ArrayList<>();
                LmHead.Result r =
                    LmHead.run(
                        hidden,
                        w,
                        dW,
                        targets,
                        0.8,
                        coef,
                        vocab,
                        entropyCoef,
                        withRows ? (row, i) -> seen.add(row.clone()) : null);
                float[] stats = new float[2 * 13 + 2];
                for (int i = 0; i < 13; i++) {
                  stats[i] = (float) r.logp()[i];
                  stats[13 + i] = (float) r.entropy()[i];
                }
                // the loss in double, as two floats' worth of bits
                long lossBits = Double.doubleToRawLongBits(r.loss());
                stats[26] = Float.intBitsToFloat((int) (lossBits >>> 32));
                stats[27] = Float.intBitsToFloat((int) lossBits);
                float[] flat = new float[seen.size() * 29];
                for (int i = 0; i < seen.size(); i++) {
                  System.arraycopy(seen.get(i), 0, flat, i * 29, 29);
                }
                return new INDArray[] {
                  Nd4j.createFromArray(stats),
                  r.dHidden(),
                  dW,
                  flat.length == 0 ? Nd4j.ones(f, 1) : Nd4j.createFromArray(flat)
                };
              });
        }
      }
    } finally {
      LmHead.chunkElements = defaultChunk;
    }
  }

  @Test
  void siluStaysWithinFloatRoundingOfTheDoubleReference() {
    // gates from -87 to 87 densely near 0, where silu varies most, plus random ones
    float[] grid = new float[200_001];
    for (int i = 0; i < grid.length; i++) {
      double u = (i - 100_000) / 100_000.0; // -1 .. 1
      grid[i] = (float) (87 * u * u * u);
    }
    Random rng = new Random(6);
    float[] random = new float[50_000];
    for (int i = 0; i < random.length; i++) {
      random[i] = (float) (rng.nextGaussian() * 4);
    }
    for (float[] gates : new float[][] {grid, random}) {
      INDArray g = Nd4j.createFromArray(gates).reshape(1, gates.length);
      INDArray up = Nd4j.rand(DataType.FLOAT, 1, gates.length).addi(0.5);
      INDArray h = g.ulike();
      INDArray sig = g.ulike();
      CpuKernels.enabled = true;
      assertTrue(CpuKernels.swiglu(g, up, h, sig));
      float[] hv = h.data().asFloat();
      float[] sv = sig.data().asFloat();
      float[] uv = up.data().asFloat();
      double worstH = 0;
      double worstSig = 0;
      for (int i = 0; i < gates.length; i++) {
        double x = gates[i];
        double s = 1 / (1 + Math.exp(-x));
        double ref = x * s * uv[i];
        worstSig = Math.max(worstSig, Math.abs(sv[i] - s) / s);
        if (ref != 0) {
          worstH = Math.max(worstH, Math.abs(hv[i] - ref) / Math.abs(ref));
        }
      }
      // a few float roundings (float epsilon 1.2e-7): exp ~1 ulp, then 1 + e, 1/(), two products
      assertTrue(worstSig < 4e-7, "σ relative error " + worstSig);
      assertTrue(worstH < 6e-7, "silu·up relative error " + worstH);
    }
    float[] special = {Float.NaN, 0f, -0f, 100f, -100f, 88.5f, -88.5f};
    INDArray g = Nd4j.createFromArray(special).reshape(1, special.length);
    INDArray h = g.ulike();
    assertTrue(CpuKernels.swiglu(g, Nd4j.ones(DataType.FLOAT, 1, special.length), h));
    float[] hv = h.data().asFloat();
    assertTrue(Float.isNaN(hv[0]), "NaN stays NaN (the update's non-finite checks see it)");
    assertEquals(0f, hv[1]);
    assertEquals(100f, hv[3], 0f);
    assertTrue(hv[4] <= 0 && hv[4] > -1e-30, "silu(-100) is a tiny negative: " + hv[4]);
    assertEquals(88.5f, hv[5], 0f);
  }
}
