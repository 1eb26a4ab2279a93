package org.tokenrl.algorithms;

/**
 * How per-token losses become one scalar (docs/grpo.md §4). M is the loss mask, D the normaliser
 * mask (equal to M except under D3S {@code loss_denominator = full}), N the number of rows, N' the
 * row count of the per-sequence modes, L = max_completion_length.
 */
public enum LossAggregation {
  /** Σ M·ℓ / Σ D: DAPO; TRL "dapo"/"bnpo", verl default. */
  TOKEN_MEAN,
  /** (1/N') Σ_i Σ_t M·ℓ / max(1, Σ_t D): DeepSeekMath eq. 3, TRL "grpo". */
  SEQ_MEAN_TOKEN_MEAN,
  /** Σ M·ℓ / (N·L): TRL "dr_grpo". */
  DR_GRPO,
  /** (1/N') Σ_i Σ_t M·ℓ: verl. */
  SEQ_MEAN_TOKEN_SUM,
  /** Σ M·ℓ / L, no division by N: verl. */
  SEQ_MEAN_TOKEN_SUM_NORM;

  /** Which rows N' counts in the per-sequence modes. */
  public enum SeqMeanRows {
    /** N' = N; an empty row adds 0 and still counts (TRL). */
    ALL,
    /** N' = rows with at least one normaliser token (verl). */
    NONEMPTY
  }

  /**
   * Weight w_i with loss = Σ_i Σ_t w_i · M_it · ℓ_it, one per row.
   *
   * @param denominator normaliser mask D, [N][len_i]
   */
  double[] rowWeights(boolean[][] denominator, int maxCompletionLength, SeqMeanRows rows) {
    int n = denominator.length;
    int[] count = new int[n];
    long total = 0;
    int nonEmpty = 0;
    for (int i = 0; i < n; i++) {
      for (boolean b : denominator[i]) {
        count[i] += b ? 1 : 0;
      }
      total += count[i];
      nonEmpty += count[i] > 0 ? 1 : 0;
    }
    double seqRows = Math.max(1, rows == SeqMeanRows.ALL ? n : nonEmpty);
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      w[i] =
          switch (this) {
            case TOKEN_MEAN -> 1.0 / Math.max(1, total);
            case SEQ_MEAN_TOKEN_MEAN -> 1.0 / (seqRows * Math.max(1, count[i]));
            case DR_GRPO -> 1.0 / ((double) Math.max(1, n) * maxCompletionLength);
            case SEQ_MEAN_TOKEN_SUM -> 1.0 / seqRows;
            case SEQ_MEAN_TOKEN_SUM_NORM -> 1.0 / maxCompletionLength;
          };
    }
    return w;
  }
}
