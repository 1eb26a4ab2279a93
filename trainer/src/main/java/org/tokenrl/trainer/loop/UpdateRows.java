package org.tokenrl.trainer.loop;

import org.tokenrl.algorithms.rl.DynamicSampling;
import org.tokenrl.algorithms.rl.TokenCredit;

/**
 * The rows of a batch that enter the policy update. All rows, unless dynamic_sampling = drop, which
 * leaves out groups whose rewards are all equal: their advantages are zero, so they would only
 * dilute the token-mean and cost a forward and backward pass. (Under refill every row trains: the
 * refill already kept only groups with signal, plus what the last round could not replace.)
 */
record UpdateRows(int[] rows) {

  /**
   * The update's rows of a batch, with its sampling-time log-probs and its credit.
   *
   * @param prompts prompt ids, [n]
   * @param responses response ids, [n][len_i]
   * @param logpOld sampling-time log-probs, [n][len_i]
   * @param credit advantages and masks of the same rows
   */
  record Batch(int[][] prompts, int[][] responses, double[][] logpOld, TokenCredit credit) {
    boolean isEmpty() {
      return responses.length == 0;
    }

    int size() {
      return responses.length;
    }
  }

  static UpdateRows select(DynamicSampling.Mode mode, double[] rewards, int groupSize) {
    if (mode == DynamicSampling.Mode.DROP) {
      return new UpdateRows(
          DynamicSampling.keptRows(DynamicSampling.keepGroups(rewards, groupSize), groupSize));
    }
    int[] all = new int[rewards.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return new UpdateRows(all);
  }

  /** These rows of {@code batch} and of its {@code credit}. */
  Batch pick(ScoredRollouts batch, TokenCredit credit) {
    int n = rows.length;
    int[][] prompts = new int[n][];
    int[][] responses = new int[n][];
    double[][] logpOld = new double[n][];
    double[][] advantages = new double[n][];
    boolean[][] keep = new boolean[n][];
    boolean shared = credit.keep() == credit.denominatorMask();
    boolean[][] denominator = shared ? keep : new boolean[n][];
    for (int j = 0; j < n; j++) {
      int i = rows[j];
      prompts[j] = batch.prompts()[i];
      responses[j] = batch.responses()[i];
      logpOld[j] = batch.logpOld()[i];
      advantages[j] = credit.advantages()[i];
      keep[j] = credit.keep()[i];
      denominator[j] = credit.denominatorMask()[i];
    }
    return new Batch(
        prompts,
        responses,
        logpOld,
        new TokenCredit(advantages, keep, denominator, credit.metrics()));
  }
}
