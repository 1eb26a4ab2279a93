package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.D3s.LossDenominator;
import org.tokenrl.algorithms.rl.D3s.Options;
import org.tokenrl.algorithms.rl.D3s.SampleMode;
import org.tokenrl.algorithms.rl.Grpo.ScaleRewards;

/** Spec §2.5 D-1 to D-4, brute-force checks of the sample selection, composition with TEMPO. */
class D3sTest {
  private static final double TOL = 1e-9;
  private static final Grpo VERL_GRPO = new Grpo(new Grpo.Options(ScaleRewards.GROUP, 1e-6));

  /** Population variance of a[idx] in two plain passes: the reference, not D3s's own. */
  private static double variance(double[] a, int[] idx) {
    double mean = 0;
    for (int i : idx) {
      mean += a[i];
    }
    mean /= idx.length;
    double ss = 0;
    for (int i : idx) {
      ss += (a[i] - mean) * (a[i] - mean);
    }
    return ss / idx.length;
  }

  private static int[] all(int n) {
    return IntStream.range(0, n).toArray();
  }

  @Test
  void exampleD1IntraOneGroup() {
    double[] r = {1, 1, 0, 0, 0, 0, 0, 1};
    double[] a = Grpo.advantages(r, 8, new Grpo.Options(ScaleRewards.GROUP, 1e-6));
    assertEquals(1.2076123955, a[0], TOL);
    assertEquals(-0.7245674373, a[2], TOL);
    int[][] expected = {{0, 2}, {0, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3, 4, 7}};
    double[] var = {0.9333297266, 0.8296264236, 0.9333297266, 0.9333297266};
    int[] ms = {2, 3, 4, 6};
    for (int j = 0; j < ms.length; j++) {
      int[] sel = D3s.maxVarianceSubset(a, all(8), ms[j]);
      assertArrayEquals(expected[j], sel, "m = " + ms[j]);
      assertEquals(var[j], variance(a, sel), TOL);
    }
    // the same through the assigner: INTRA, N_s = m/G, all tokens
    for (int j = 0; j < ms.length; j++) {
      D3s d3s =
          new D3s(
              new Options(ms[j] / 8.0, 1, 1, 1, SampleMode.INTRA, LossDenominator.KEPT), VERL_GRPO);
      TokenCredit c =
          d3s.credit(RlBatch.of(r, new int[][] {{1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}}, 8));
      int[] kept = IntStream.range(0, 8).filter(i -> c.keep()[i][0]).toArray();
      assertArrayEquals(expected[j], kept);
    }
  }

  private static final double[] D2R = {1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1};

  @Test
  void exampleD2Cross() {
    double[] a = Grpo.advantages(D2R, 4, new Grpo.Options(ScaleRewards.GROUP, 1e-6));
    assertArrayEquals(
        new double[] {
          1.499997, -0.499999, -0.499999, -0.499999, 0, 0, 0, 0, 0.499999, 0.499999, -1.499997,
          0.499999
        },
        a,
        1e-6);
    int[] four = D3s.maxVarianceSubset(a, all(12), 4);
    assertArrayEquals(new int[] {0, 1, 8, 10}, four);
    assertEquals(1.2499950, variance(a, four), 1e-6);
    int[] six = D3s.maxVarianceSubset(a, all(12), 6);
    assertArrayEquals(new int[] {0, 1, 2, 8, 9, 10}, six);
    assertEquals(0.916663, variance(a, six), 1e-6);
  }

  private static final double[][] D3H = {
    {0.1, 2.0, 0.5, 0.0},
    {1.1, 0.25, 0.0, 0.0},
    null,
    null,
    null,
    null,
    null,
    null,
    {0.9, 0.9, 0.2, 0.0},
    null,
    {0.4, 1.0, 0.05, 0.7},
    null
  };
  private static final boolean[][] D3MASK = {
    {true, true, true, false},
    {true, true, false, false},
    null,
    null,
    null,
    null,
    null,
    null,
    {true, true, true, false},
    null,
    {true, true, true, true},
    null
  };

  private static boolean[][] d3Keep(double k) {
    double[] a = Grpo.advantages(D2R, 4, new Grpo.Options(ScaleRewards.GROUP, 1e-6));
    double[][] adv = new double[12][];
    double[][] h = new double[12][];
    boolean[][] mask = new boolean[12][];
    for (int i = 0; i < 12; i++) {
      adv[i] = new double[] {a[i], a[i], a[i], a[i]};
      h[i] = D3H[i] == null ? new double[] {9, 9, 9, 9} : D3H[i];
      mask[i] = D3MASK[i] == null ? new boolean[] {true, true, true, true} : D3MASK[i];
    }
    return D3s.selectTokens(new int[] {0, 1, 8, 10}, adv, h, mask, k);
  }

  private static boolean[] bits(int... b) {
    boolean[] out = new boolean[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i] == 1;
    }
    return out;
  }

  @Test
  void exampleD3TokenSelection() {
    boolean[][] k25 = d3Keep(0.25);
    assertArrayEquals(bits(0, 1, 0, 0), k25[0]);
    assertArrayEquals(bits(0, 0, 0, 0), k25[1]);
    assertArrayEquals(bits(0, 0, 0, 0), k25[8]);
    assertArrayEquals(bits(0, 1, 0, 1), k25[10]);
    boolean[][] k60 = d3Keep(0.60);
    assertArrayEquals(bits(0, 1, 1, 0), k60[0]);
    assertArrayEquals(bits(1, 0, 0, 0), k60[1]);
    assertArrayEquals(bits(1, 0, 0, 0), k60[8]);
    assertArrayEquals(bits(1, 1, 0, 1), k60[10]);
    boolean[][] k100 = d3Keep(1.0);
    for (int i : new int[] {0, 1, 8, 10}) {
      assertArrayEquals(D3MASK[i], k100[i]);
    }
    // samples that were not kept never get tokens, however high their entropy
    assertArrayEquals(bits(0, 0, 0, 0), k100[2]);
  }

  @Test
  void tokenSelectionMatchesAFullSortWithTheFlatIndexTieRule() {
    Random rnd = new Random(31);
    for (int rep = 0; rep < 300; rep++) {
      int n = 1 + rnd.nextInt(6);
      double[][] adv = new double[n][];
      double[][] h = new double[n][];
      boolean[][] mask = new boolean[n][];
      for (int i = 0; i < n; i++) {
        int len = rnd.nextInt(6);
        adv[i] = new double[len];
        h[i] = new double[len];
        mask[i] = new boolean[len];
        double a = rnd.nextInt(3) - 1; // ties in |A| and in H
        for (int t = 0; t < len; t++) {
          adv[i][t] = rnd.nextBoolean() ? a : rnd.nextGaussian();
          h[i][t] = rnd.nextBoolean() ? rnd.nextInt(3) * 0.5 : rnd.nextDouble();
          mask[i][t] = rnd.nextDouble() < 0.8;
        }
      }
      int[] kept = IntStream.range(0, n).filter(i -> rnd.nextDouble() < 0.7).toArray();
      double frac = 0.05 + 0.95 * rnd.nextDouble();
      // reference: list (score, row, position) in flat order, stable-sort by score descending
      java.util.List<double[]> toks = new java.util.ArrayList<>();
      for (int i : kept) {
        for (int t = 0; t < mask[i].length; t++) {
          if (mask[i][t]) {
            toks.add(new double[] {Math.abs(adv[i][t]) * h[i][t], i, t});
          }
        }
      }
      toks.sort((x, y) -> Double.compare(y[0] + 0.0, x[0] + 0.0));
      int k = toks.isEmpty() ? 0 : Math.max(1, (int) Math.floor(frac * toks.size() + 1e-9));
      boolean[][] expected = new boolean[n][];
      for (int i = 0; i < n; i++) {
        expected[i] = new boolean[mask[i].length];
      }
      for (int j = 0; j < k; j++) {
        expected[(int) toks.get(j)[1]][(int) toks.get(j)[2]] = true;
      }
      boolean[][] actual = D3s.selectTokens(kept, adv, h, mask, frac);
      for (int i = 0; i < n; i++) {
        assertArrayEquals(expected[i], actual[i], "rep " + rep + " row " + i);
      }
    }
  }

  @Test
  void exampleD4Schedule() {
    Options o = new Options(0.25, 1.0, 0.2, 1.0, SampleMode.CROSS, LossDenominator.KEPT);
    double[][] expected = {{0, 0.25, 0.2}, {0.25, 0.4375, 0.4}, {0.5, 0.625, 0.6}, {1, 1.0, 1.0}};
    for (double[] e : expected) {
      assertEquals(e[1], o.sampleFraction(e[0]), TOL);
      assertEquals(e[2], o.tokenFraction(e[0]), TOL);
    }
  }

  @Test
  void maxVarianceSubsetMatchesBruteForce() {
    Random rnd = new Random(99);
    for (int rep = 0; rep < 2000; rep++) {
      int n = 2 + rnd.nextInt(9);
      double[] a = new double[n + 3];
      for (int i = 0; i < a.length; i++) {
        a[i] = rnd.nextBoolean() ? rnd.nextInt(3) - 1 : rnd.nextGaussian(); // many ties
      }
      int[] pool = IntStream.range(0, a.length).filter(i -> i % 5 != 4).limit(n).toArray();
      int m = 1 + rnd.nextInt(pool.length);
      int[] sel = D3s.maxVarianceSubset(a, pool, m);
      assertEquals(Math.min(m, pool.length), sel.length);
      for (int i : sel) {
        assertTrue(IntStream.of(pool).anyMatch(p -> p == i), "selected index outside the pool");
      }
      double best = 0;
      for (int bitsMask = 0; bitsMask < (1 << pool.length); bitsMask++) {
        if (Integer.bitCount(bitsMask) == m) {
          int b = bitsMask;
          int[] sub =
              IntStream.range(0, pool.length)
                  .filter(j -> (b >> j & 1) == 1)
                  .map(j -> pool[j])
                  .toArray();
          best = Math.max(best, variance(a, sub));
        }
      }
      assertEquals(best, variance(a, sel), 1e-9, "rep " + rep);
    }
  }

  @Test
  void d3sOnTempoKeepsTempoAdvantagesAndTheKeptDenominator() {
    RlAlgorithm algo =
        Algorithms.create("name = d3s, base = tempo, n_init = 0.5, k_init = 0.5, norm_std = false");
    assertEquals(
        0.28,
        ((Tempo) ((D3s) algo).base()).objective().options().clipEpsHigh(),
        0.0); // tempo's default survives
    int[][] tok = {{5, 7, 9, 2}, {5, 7, 8, 2}, {5, 6, 9, 2}, {4, 6, 9, 2}};
    double[] r = {1, 0, 1, 0};
    double[][] h = {
      {0.3, 0.2, 0.9, 0.1}, {0.5, 0.4, 0.3, 0.2}, {0.1, 0.7, 0.2, 0.6}, {0.8, 0.1, 0.1, 0.4}
    };
    RlBatch in = new RlBatch(r, tok, 4, null, h, 0.0);
    TokenCredit c = algo.credit(in);
    // TEMPO's advantages from the definition (not from Tempo): D3S only selects, it keeps them.
    double[][] t = TempoReference.advantages(tok, r, false, 1e-6, 1.0);
    for (int i = 0; i < 4; i++) {
      assertArrayEquals(t[i], c.advantages()[i], 1e-12);
    }
    int keptSamples = 0;
    int keptTokens = 0;
    for (boolean[] row : c.keep()) {
      boolean any = false;
      for (boolean b : row) {
        keptTokens += b ? 1 : 0;
        any |= b;
      }
      keptSamples += any ? 1 : 0;
    }
    assertTrue(keptSamples <= 2, "m = 2 of 4 samples");
    assertEquals(4, keptTokens, "k = floor(0.5 · 8 tokens of the 2 kept samples)");
    assertSame(c.keep(), c.denominatorMask());
    assertEquals(0.5, c.metrics().get("d3s/kept_sample_frac"), 0.0);
    assertTrue(c.metrics().get("d3s/adv_var_after") >= c.metrics().get("d3s/adv_var_before"));
  }

  @Test
  void fullDenominatorScalesTokenMeanByTheKeptFraction() {
    double[] r = {1, 0, 0, 1, 0.5, 0.2, 0.9, 0.1};
    int[][] tok = {{1, 2, 3}, {1, 2}, {4}, {4, 5, 6, 7}, {1}, {2, 2}, {3, 3, 3}, {1, 1}};
    Random rnd = new Random(5);
    double[][] h = new double[8][];
    double[][] lp = new double[8][];
    for (int i = 0; i < 8; i++) {
      h[i] = rnd.doubles(tok[i].length).toArray();
      lp[i] = rnd.doubles(tok[i].length, -2, 0).toArray();
    }
    RlBatch in = new RlBatch(r, tok, 4, null, h, 0.3);
    TokenCredit kept = Algorithms.create("name = d3s").credit(in);
    TokenCredit full = Algorithms.create("name = d3s, loss_denominator = full").credit(in);
    ClippedPolicyObjective obj = ((Grpo) Algorithms.create("name = grpo")).objective();
    double lossKept = obj.compute(kept.lossInput(lp, lp, null, 8)).loss();
    double lossFull = obj.compute(full.lossInput(lp, lp, null, 8)).loss();
    double keptTokens = kept.metrics().get("d3s/kept_token_frac") * 19;
    assertEquals(lossKept * keptTokens / 19, lossFull, 1e-12);
  }

  @Test
  void missingEntropiesFailWithAHint() {
    RlAlgorithm algo = Algorithms.create("name = d3s"); // k_init < 1: needs entropies
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> algo.credit(RlBatch.of(new double[] {1, 0}, new int[][] {{1}, {2}}, 2)));
    assertTrue(e.getMessage().contains("entropies"), e.getMessage());
  }
}
