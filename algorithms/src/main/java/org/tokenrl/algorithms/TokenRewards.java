package org.tokenrl.algorithms;

/**
 * T-REG's self-generated token rewards by contrastive prompting (docs/preference.md §3.1): the same
 * response is teacher-forced after a "write a better answer" prompt and a "write a worse answer"
 * prompt, and each token is rewarded by how much more likely the better prompt makes it.
 */
public final class TokenRewards {
  private TokenRewards() {}

  /**
   * r̂_t = σ(better_t − worse_t) − ½ ∈ (−½, ½), per response token.
   *
   * @param better log π_eval(y_t | x_better, y_&lt;t), ragged [rows][len_i]
   * @param worse log π_eval(y_t | x_worse, y_&lt;t), same shape
   */
  public static double[][] contrastive(double[][] better, double[][] worse) {
    if (better.length != worse.length) {
      throw new IllegalArgumentException(
          "better has " + better.length + " rows, worse has " + worse.length);
    }
    double[][] r = new double[better.length][];
    for (int i = 0; i < better.length; i++) {
      if (better[i].length != worse[i].length) {
        throw new IllegalArgumentException(
            "row "
                + i
                + ": better has "
                + better[i].length
                + " log-probs, worse has "
                + worse[i].length
                + " (score the same response ids under both prompts)");
      }
      r[i] = new double[better[i].length];
      for (int t = 0; t < r[i].length; t++) {
        r[i][t] = Sigmoids.centredSigmoid(better[i][t] - worse[i][t]);
      }
    }
    return r;
  }
}
