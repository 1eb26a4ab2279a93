package org.tokenrl.algorithms.rl;

import java.util.Arrays;

/**
 * TEMPO's token advantages computed from the definition, written without the code under test (no
 * trie, no {@code GroupStats}): the value of a prefix is the mean reward of the group's responses
 * that start with it, found by comparing every response with every other position by position; mean
 * and unbiased (n−1) std of the group's rewards in two plain passes.
 */
final class TempoReference {
  private TempoReference() {}

  /**
   * Mean reward of the responses of {@code tok} whose first {@code length} tokens equal prefixOf's.
   */
  static double prefixValue(int[][] tok, double[] r, int[] prefixOf, int length) {
    double sum = 0;
    int count = 0;
    for (int j = 0; j < tok.length; j++) {
      if (tok[j].length >= length && Arrays.equals(tok[j], 0, length, prefixOf, 0, length)) {
        sum += r[j];
        count++;
      }
    }
    return sum / count;
  }

  /**
   * A_{i,t} = r_i − mean + w·(V(y_i[..t+1]) − V(y_i[..t])), divided by (std + eps) when normStd;
   * every advantage is 0 when the group's rewards are all equal (or it has one response). One
   * group: {@code tok.length} responses.
   */
  static double[][] advantages(int[][] tok, double[] r, boolean normStd, double eps, double w) {
    int g = r.length;
    double mean = 0;
    for (double x : r) {
      mean += x / g;
    }
    double ss = 0;
    boolean allEqual = true;
    for (double x : r) {
      ss += (x - mean) * (x - mean);
      allEqual &= x == r[0];
    }
    double std = g > 1 ? Math.sqrt(ss / (g - 1)) : 0;
    double[][] out = new double[g][];
    for (int i = 0; i < g; i++) {
      out[i] = new double[tok[i].length];
      for (int t = 0; t < tok[i].length && !allEqual; t++) {
        double delta = prefixValue(tok, r, tok[i], t + 1) - prefixValue(tok, r, tok[i], t);
        double a = r[i] - mean + w * delta;
        out[i][t] = normStd ? a / (std + eps) : a;
      }
    }
    return out;
  }
}
