package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;

/**
 * The loss mask of {@link RlBatch} through every RL algorithm: a masked token gets no advantage, no
 * loss and no place in the normalisers, nothing about it changes the loss, and masking equals
 * removing the token from the loss. For GRPO-based credit that is the same as removing it from the
 * response; TEMPO's prefix tree still holds it (the later tokens follow it), so there masking
 * equals dropping the token from the loss of the unmasked credit.
 */
class LossMaskTest {
  private static final double TOL = 1e-12;
  private static final int G = 4;
  private static final int MAX_LEN = 6;

  private static final String[] ALL = {
    "name = grpo",
    "name = grpo, kl_beta = 0.1, loss_agg = seq-mean-token-mean",
    "name = grpo, loss_agg = seq-mean-token-sum, seq_mean_rows = nonempty",
    "name = tempo",
    "name = d3s, n_init = 0.5, k_init = 0.5",
    "name = d3s, k_init = 0.4, loss_denominator = full",
    "name = d3s, base = tempo, n_init = 0.75, k_init = 0.6",
    "name = gspo, clip_eps_low = 0.1, clip_eps_high = 0.1",
    "name = gspo, variant = token, kl_beta = 0.1",
    "name = gspo, loss_agg = token-mean, dual_clip_c = 3",
    "name = rloo",
    "name = reinforce_pp, kl_beta = 0.1",
    "name = reinforce_pp_baseline, loss_agg = seq-mean-token-mean",
  };
  private static final String[] GRPO_BASED = {
    ALL[0], ALL[1], ALL[2], ALL[4], ALL[5], ALL[7], ALL[8], ALL[9], ALL[10], ALL[11], ALL[12]
  };
  private static final String[] TEMPO = {
    "name = tempo", "name = tempo, loss_agg = seq-mean-token-mean"
  };

  /** Per-token arrays of one batch, [N][len_i], group-major. */
  private record Batch(
      double[] rewards,
      int[][] tokens,
      double[][] entropies,
      double[][] lpNew,
      double[][] lpOld,
      double[][] lpRef) {

    static Batch random(long seed) {
      Random rnd = new Random(seed);
      int n = 2 * G;
      double[] r = {1, 0, 0, 1, 0.5, 0.2, 0.9, 0.5};
      int[][] tok = new int[n][];
      double[][] h = new double[n][];
      double[][] lpNew = new double[n][];
      double[][] lpOld = new double[n][];
      double[][] lpRef = new double[n][];
      for (int i = 0; i < n; i++) {
        int len = i == 3 ? 1 : 2 + rnd.nextInt(MAX_LEN - 1);
        tok[i] = rnd.ints(len, 1, 3).toArray(); // few token ids: the TEMPO tries branch
        h[i] = rnd.doubles(len, 0.05, 2).toArray();
        lpOld[i] = rnd.doubles(len, -2, -0.1).toArray();
        lpNew[i] = new double[len];
        lpRef[i] = new double[len];
        for (int t = 0; t < len; t++) {
          lpNew[i][t] = lpOld[i][t] + rnd.nextGaussian() * 0.3; // some ratios clip
          lpRef[i][t] = lpOld[i][t] + rnd.nextGaussian() * 0.1;
        }
      }
      return new Batch(r, tok, h, lpNew, lpOld, lpRef);
    }

    /** The batch without the tokens where {@code mask} is false. */
    Batch without(boolean[][] mask) {
      int n = tokens.length;
      int[][] tok = new int[n][];
      double[][][] cols = {entropies, lpNew, lpOld, lpRef};
      double[][][] out = new double[4][n][];
      for (int i = 0; i < n; i++) {
        int len = 0;
        for (boolean b : mask[i]) {
          len += b ? 1 : 0;
        }
        tok[i] = new int[len];
        for (int c = 0; c < 4; c++) {
          out[c][i] = new double[len];
        }
        for (int t = 0, j = 0; t < mask[i].length; t++) {
          if (mask[i][t]) {
            tok[i][j] = tokens[i][t];
            for (int c = 0; c < 4; c++) {
              out[c][i][j] = cols[c][i][t];
            }
            j++;
          }
        }
      }
      return new Batch(rewards, tok, out[0], out[1], out[2], out[3]);
    }

    /** A copy whose values at masked tokens are replaced (token ids too when {@code ids}). */
    Batch scrambled(boolean[][] mask, boolean ids) {
      Batch b =
          new Batch(rewards, copy(tokens), copy(entropies), copy(lpNew), copy(lpOld), copy(lpRef));
      for (int i = 0; i < mask.length; i++) {
        for (int t = 0; t < mask[i].length; t++) {
          if (!mask[i][t]) {
            b.tokens[i][t] = ids ? 7 + t : tokens[i][t];
            b.entropies[i][t] = 1e3;
            b.lpNew[i][t] = -40;
            b.lpOld[i][t] = 3;
            b.lpRef[i][t] = Double.NaN;
          }
        }
      }
      return b;
    }

    RlBatch rl(boolean[][] mask) {
      return new RlBatch(rewards, tokens, G, null, entropies, null, mask, 0.0);
    }
  }

  /** Credit and the loss of one epoch. */
  private record Outcome(TokenCredit credit, LossResult loss) {
    static Outcome of(String algorithm, Batch b, boolean[][] mask) {
      RlAlgorithm a = Algorithms.create(algorithm);
      TokenCredit c = a.credit(b.rl(mask));
      c.requireWithin(b.rl(mask).lossMask(), a.name());
      return new Outcome(c, a.loss(c.lossInput(b.lpNew, b.lpOld, b.lpRef, MAX_LEN)));
    }
  }

  private static boolean[][] mask(Batch b, BiPredicate<Integer, Integer> masked) {
    boolean[][] m = new boolean[b.tokens.length][];
    for (int i = 0; i < m.length; i++) {
      m[i] = new boolean[b.tokens[i].length];
      for (int t = 0; t < m[i].length; t++) {
        m[i][t] = !masked.test(i, t);
      }
    }
    return m;
  }

  /** The last token of rows 1, 3 (its only one) and 6, and the last two of row 4. */
  private static boolean[][] lastTokens(Batch b) {
    return mask(
        b,
        (i, t) -> {
          int len = b.tokens[i].length;
          return ((i == 1 || i == 3 || i == 6) && t == len - 1) || (i == 4 && t >= len - 2);
        });
  }

  /** Tokens anywhere: the first of row 0, the middle of row 5, all of row 7. */
  private static boolean[][] anyTokens(Batch b) {
    return mask(b, (i, t) -> (i == 0 && t == 0) || (i == 5 && t == 1) || i == 7);
  }

  /** Masked: A = 0, kept nowhere, zero gradient. Unmasked: equal to the batch without them. */
  private static void assertMaskingEqualsRemoving(String algorithm, Batch b, boolean[][] mask) {
    Outcome masked = Outcome.of(algorithm, b, mask);
    Outcome removed = Outcome.of(algorithm, b.without(mask), null);
    assertEquals(removed.loss.loss(), masked.loss.loss(), TOL, algorithm);
    for (String key : removed.loss.metrics().keySet()) {
      assertEquals(
          removed.loss.metrics().get(key), masked.loss.metrics().get(key), TOL, algorithm + key);
    }
    for (int i = 0; i < mask.length; i++) {
      for (int t = 0, j = 0; t < mask[i].length; t++) {
        String where = algorithm + ": response " + i + ", token " + t;
        if (!mask[i][t]) {
          assertEquals(0.0, masked.credit.advantages()[i][t], 0.0, where);
          assertFalse(masked.credit.keep()[i][t], where);
          assertFalse(masked.credit.denominatorMask()[i][t], where);
          assertEquals(0.0, masked.loss.gradLogpNew()[i][t], 0.0, where);
          continue;
        }
        assertEquals(
            removed.credit.advantages()[i][j], masked.credit.advantages()[i][t], TOL, where);
        assertEquals(removed.credit.keep()[i][j], masked.credit.keep()[i][t], where);
        assertEquals(
            removed.credit.denominatorMask()[i][j], masked.credit.denominatorMask()[i][t], where);
        assertEquals(removed.loss.gradLogpNew()[i][j], masked.loss.gradLogpNew()[i][t], TOL, where);
        j++;
      }
    }
  }

  @Test
  void forGrpoBasedCreditMaskingATokenEqualsRemovingIt() {
    for (long seed = 1; seed <= 5; seed++) {
      Batch b = Batch.random(seed);
      for (String algorithm : GRPO_BASED) {
        assertMaskingEqualsRemoving(algorithm, b, anyTokens(b));
        assertMaskingEqualsRemoving(algorithm, b, lastTokens(b));
      }
    }
  }

  @Test
  void forTempoMaskingEqualsDroppingTheTokenFromTheLoss() {
    for (long seed = 1; seed <= 5; seed++) {
      Batch b = Batch.random(seed);
      for (boolean[][] m : new boolean[][][] {anyTokens(b), lastTokens(b)}) {
        for (String algorithm : TEMPO) {
          RlAlgorithm tempo = Algorithms.create(algorithm);
          TokenCredit plain = tempo.credit(b.rl(null));
          Outcome masked = Outcome.of(algorithm, b, m);
          double[][] adv = new double[m.length][];
          for (int i = 0; i < m.length; i++) {
            adv[i] = new double[m[i].length];
            for (int t = 0; t < m[i].length; t++) {
              adv[i][t] = m[i][t] ? plain.advantages()[i][t] : 0.0;
            }
            assertArrayEquals(adv[i], masked.credit.advantages()[i], 0.0, algorithm);
            assertArrayEquals(m[i], masked.credit.keep()[i], algorithm);
          }
          LossResult dropped =
              tempo.loss(new PolicyLossInput(b.lpNew, b.lpOld, b.lpRef, adv, m, MAX_LEN));
          assertEquals(dropped.loss(), masked.loss.loss(), TOL, algorithm);
          for (int i = 0; i < m.length; i++) {
            assertArrayEquals(dropped.gradLogpNew()[i], masked.loss.gradLogpNew()[i], TOL);
          }
        }
        // D3S keeps its base's advantages: TEMPO's, unchanged at the unmasked tokens
        TokenCredit plain = Algorithms.create("name = tempo").credit(b.rl(null));
        TokenCredit d3s = Outcome.of(ALL[6], b, m).credit;
        for (int i = 0; i < m.length; i++) {
          for (int t = 0; t < m[i].length; t++) {
            assertEquals(m[i][t] ? plain.advantages()[i][t] : 0.0, d3s.advantages()[i][t], 0.0);
          }
        }
      }
    }
  }

  @Test
  void nothingAboutAMaskedTokenChangesTheLoss() {
    Batch b = Batch.random(11);
    for (String algorithm : ALL) {
      boolean grpoBased = !algorithm.contains("tempo");
      boolean[][] m = grpoBased ? anyTokens(b) : lastTokens(b);
      Outcome before = Outcome.of(algorithm, b, m);
      Outcome after = Outcome.of(algorithm, b.scrambled(m, grpoBased), m);
      assertEquals(before.loss.loss(), after.loss.loss(), 0.0, algorithm);
      for (int i = 0; i < m.length; i++) {
        assertArrayEquals(before.loss.gradLogpNew()[i], after.loss.gradLogpNew()[i], 0.0);
        assertArrayEquals(before.credit.advantages()[i], after.credit.advantages()[i], 0.0);
        for (int t = 0; t < m[i].length; t++) {
          if (!m[i][t]) {
            assertEquals(0.0, before.credit.advantages()[i][t], 0.0, algorithm);
            assertFalse(before.credit.keep()[i][t] || before.credit.denominatorMask()[i][t]);
            assertEquals(0.0, before.loss.gradLogpNew()[i][t], 0.0, algorithm);
          }
        }
      }
    }
  }

  @Test
  void anAllTrueMaskChangesNothing() {
    Batch b = Batch.random(3);
    for (String algorithm : ALL) {
      Outcome none = Outcome.of(algorithm, b, null);
      Outcome all = Outcome.of(algorithm, b, mask(b, (i, t) -> false));
      assertEquals(none.loss.loss(), all.loss.loss(), 0.0, algorithm);
      assertEquals(none.credit.metrics(), all.credit.metrics(), algorithm);
      for (int i = 0; i < b.tokens.length; i++) {
        assertArrayEquals(none.credit.advantages()[i], all.credit.advantages()[i], 0.0);
        assertArrayEquals(none.loss.gradLogpNew()[i], all.loss.gradLogpNew()[i], 0.0);
      }
    }
  }

  @Test
  void tokenRewardsReachGroupRelativeCreditOnlyThroughTheirSum() {
    Batch b = Batch.random(5);
    double[][] spread = new double[b.tokens.length][];
    for (int i = 0; i < spread.length; i++) {
      int len = b.tokens[i].length;
      spread[i] = new double[len];
      spread[i][0] = 2 * b.rewards[i]; // any split that sums to the reward
      spread[i][len - 1] -= b.rewards[i];
    }
    for (String algorithm : ALL) {
      RlAlgorithm a = Algorithms.create(algorithm);
      TokenCredit plain = a.credit(b.rl(null));
      TokenCredit withTokens =
          a.credit(new RlBatch(b.rewards, b.tokens, G, null, b.entropies, spread, null, 0.0));
      for (int i = 0; i < spread.length; i++) {
        assertArrayEquals(plain.advantages()[i], withTokens.advantages()[i], 0.0, algorithm);
        assertArrayEquals(plain.keep()[i], withTokens.keep()[i], algorithm);
      }
    }
  }

  @Test
  void creditOutsideTheMaskIsCaught() {
    Batch b = Batch.random(2);
    boolean[][] m = anyTokens(b);
    TokenCredit ignoresMask = Algorithms.create("name = grpo").credit(b.rl(null));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> ignoresMask.requireWithin(m, "toy"));
    assertTrue(e.getMessage().contains("toy credit gives token 0 of response 0"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> b.rl(new boolean[][] {{true}}),
        "a mask of the wrong shape");
  }

  private static int[][] copy(int[][] x) {
    int[][] out = new int[x.length][];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i].clone();
    }
    return out;
  }

  private static double[][] copy(double[][] x) {
    double[][] out = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i].clone();
    }
    return out;
  }
}
