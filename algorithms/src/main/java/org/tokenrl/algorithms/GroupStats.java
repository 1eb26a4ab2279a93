package org.tokenrl.algorithms;

/**
 * Mean and unbiased std of the finite rewards of one group (NaN rewards are unscorable and left
 * out, as TRL does).
 *
 * @param mean mean of the finite rewards (0 when there are none)
 * @param std unbiased (n−1) standard deviation; 0 when fewer than two finite rewards
 * @param count number of finite rewards
 * @param constant fewer than two finite rewards, or all of them equal: such a group carries no
 *     relative signal and every advantage in it is exactly 0
 */
record GroupStats(double mean, double std, int count, boolean constant) {

  static GroupStats of(double[] r, int from, int length) {
    int count = 0;
    double sum = 0;
    double first = Double.NaN;
    boolean allEqual = true;
    for (int i = from; i < from + length; i++) {
      if (Double.isNaN(r[i])) {
        continue;
      }
      if (count == 0) {
        first = r[i];
      } else if (r[i] != first) {
        allEqual = false;
      }
      count++;
      sum += r[i];
    }
    if (count == 0) {
      return new GroupStats(0, 0, 0, true);
    }
    double mean = sum / count;
    double ss = 0;
    for (int i = from; i < from + length; i++) {
      if (!Double.isNaN(r[i])) {
        ss += (r[i] - mean) * (r[i] - mean);
      }
    }
    double std = count > 1 ? Math.sqrt(ss / (count - 1)) : 0.0;
    return new GroupStats(mean, std, count, count < 2 || allEqual);
  }
}
