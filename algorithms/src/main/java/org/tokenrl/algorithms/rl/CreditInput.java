package org.tokenrl.algorithms.rl;

/**
 * Everything a credit assigner may need about one batch. Rows are group-major: response {@code i}
 * belongs to prompt group {@code i / groupSize}. Arrays are ragged: row {@code i} holds exactly the
 * {@code responses[i].length} real response tokens (EOS included, no padding).
 *
 * @param rewards scalar outcome reward per response, [N]; NaN marks an unscorable response
 * @param responses response token ids, [N][len_i]
 * @param groupSize G, responses per prompt; N must be a multiple of it
 * @param truncated whether response i hit the length limit without EOS, [N]; null means none did
 * @param entropies sampling-time token entropies, [N][len_i]; null when not computed
 * @param progress training progress in [0, 1] (step / totalSteps), drives schedules such as D3S
 */
public record CreditInput(
    double[] rewards,
    int[][] responses,
    int groupSize,
    boolean[] truncated,
    double[][] entropies,
    double progress) {

  public CreditInput {
    if (groupSize < 1) {
      throw new IllegalArgumentException("groupSize must be >= 1, got " + groupSize);
    }
    if (rewards.length != responses.length) {
      throw new IllegalArgumentException(
          "rewards has " + rewards.length + " rows but responses has " + responses.length);
    }
    if (rewards.length % groupSize != 0) {
      throw new IllegalArgumentException(
          "batch of "
              + rewards.length
              + " responses is not a whole number of groups of "
              + groupSize);
    }
    if (truncated != null && truncated.length != rewards.length) {
      throw new IllegalArgumentException("truncated must have one flag per response");
    }
    if (entropies != null) {
      if (entropies.length != responses.length) {
        throw new IllegalArgumentException("entropies must have one row per response");
      }
      for (int i = 0; i < responses.length; i++) {
        if (entropies[i].length != responses[i].length) {
          throw new IllegalArgumentException(
              "entropies row "
                  + i
                  + " has "
                  + entropies[i].length
                  + " values for "
                  + responses[i].length
                  + " tokens");
        }
      }
    }
    if (!(progress >= 0 && progress <= 1)) {
      throw new IllegalArgumentException("progress must be in [0,1], got " + progress);
    }
  }

  /** Input with no truncation flags, no entropies and progress 0. */
  public static CreditInput of(double[] rewards, int[][] responses, int groupSize) {
    return new CreditInput(rewards, responses, groupSize, null, null, 0.0);
  }

  public int size() {
    return rewards.length;
  }

  public boolean isTruncated(int i) {
    return truncated != null && truncated[i];
  }
}
