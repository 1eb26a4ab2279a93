package org.tokenrl.trainer.loop;

import org.tokenrl.algorithms.rl.DynamicSampling;
import org.tokenrl.algorithms.rl.TokenCredit;

/**
 * The rows of a batch that enter the policy update. All rows, unless the algorithm asks for DAPO's
 * dynamic sampling, which leaves out groups whose rewards are all equal: their advantages are zero,
 * so they would only dilute the token-mean and cost a forward and backward pass.
 */
record UpdateRows(int[] rows) {

  static UpdateRows select(String mode, double[] rewards, int groupSize, int n) {
    switch (mode) {
      case "off" -> {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
          all[i] = i;
        }
        return new UpdateRows(all);
      }
      case "drop" -> {
        return new UpdateRows(
            DynamicSampling.keptRows(DynamicSampling.keepGroups(rewards, groupSize), groupSize));
      }
      default ->
          throw new IllegalArgumentException(
              "trainer.dynamic_sampling must be off or drop, got '" + mode + "'");
    }
  }

  boolean isEmpty() {
    return rows.length == 0;
  }

  int size() {
    return rows.length;
  }

  int[][] pick(int[][] x) {
    int[][] out = new int[rows.length][];
    for (int j = 0; j < rows.length; j++) {
      out[j] = x[rows[j]];
    }
    return out;
  }

  double[][] pick(double[][] x) {
    double[][] out = new double[rows.length][];
    for (int j = 0; j < rows.length; j++) {
      out[j] = x[rows[j]];
    }
    return out;
  }

  boolean[][] pick(boolean[][] x) {
    if (x == null) {
      return null;
    }
    boolean[][] out = new boolean[rows.length][];
    for (int j = 0; j < rows.length; j++) {
      out[j] = x[rows[j]];
    }
    return out;
  }

  TokenCredit pick(TokenCredit c) {
    return new TokenCredit(
        pick(c.advantages()), pick(c.keep()), pick(c.denominatorMask()), c.metrics());
  }
}
