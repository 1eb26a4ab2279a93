package org.tokenrl.algorithms.rl;

import org.tokenrl.algorithms.rl.Grpo.GroupStats;

/**
 * DAPO dynamic sampling (arXiv 2503.14476 §3.2): groups whose rewards are all equal give A = 0 for
 * every response and only dilute the batch, so they are dropped.
 *
 * <p>The trainer's {@code trainer.dynamic_sampling}: {@code off} trains on every group; {@code
 * drop} assigns credit on the whole batch, then keeps the rows {@link #keptRows} returns (groups
 * stay whole and group-major) for the update, and skips the update when none are left. DAPO's
 * {@code refill} samples further rounds of prompts until B groups have signal, keeping these (see
 * the trainer).
 */
public final class DynamicSampling {
  private DynamicSampling() {}

  /** {@code trainer.dynamic_sampling}. */
  public enum Mode {
    /** train on every group */
    OFF,
    /** leave out the groups without signal, skip the update when none is left */
    DROP,
    /** sample further rounds of prompts until the step has B groups with signal */
    REFILL;

    /** Parses the config value ({@code off}, {@code drop}, {@code refill}). */
    public static Mode parse(String value) {
      for (Mode m : values()) {
        if (m.name().toLowerCase(java.util.Locale.ROOT).equals(value)) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "trainer.dynamic_sampling must be off, drop or refill, got '" + value + "'");
    }
  }

  /**
   * For each group (rows group-major), whether it has a non-zero reward variance: at least two
   * finite rewards that differ. NaN rewards are ignored, as in the advantage statistics.
   */
  public static boolean[] keepGroups(double[] rewards, int groupSize) {
    if (groupSize < 1 || rewards.length % groupSize != 0) {
      throw new IllegalArgumentException(
          rewards.length + " rewards are not whole groups of " + groupSize);
    }
    boolean[] keep = new boolean[rewards.length / groupSize];
    for (int g = 0; g < keep.length; g++) {
      keep[g] = !GroupStats.of(rewards, g * groupSize, groupSize).constant();
    }
    return keep;
  }

  /** Row indices, ascending, of the kept groups' responses. */
  public static int[] keptRows(boolean[] keepGroups, int groupSize) {
    int kept = 0;
    for (boolean k : keepGroups) {
      kept += k ? 1 : 0;
    }
    int[] rows = new int[kept * groupSize];
    int j = 0;
    for (int g = 0; g < keepGroups.length; g++) {
      if (keepGroups[g]) {
        for (int i = 0; i < groupSize; i++) {
          rows[j++] = g * groupSize + i;
        }
      }
    }
    return rows;
  }
}
