package org.tokenrl.algorithms.rl;

/**
 * Inputs of {@link RlAlgorithm#loss} (and {@link ClippedPolicyObjective#compute}), all ragged
 * [N][len_i] with identical row lengths. Values at positions where {@code mask} is false are never
 * read, so they may be garbage.
 *
 * @param logpNew log-probs of the sampled tokens under the current parameters
 * @param logpOld the same under the sampling policy (detached)
 * @param logpRef the same under the frozen reference policy; null when kl_beta = 0
 * @param advantages A[i][t]
 * @param mask tokens whose loss term counts
 * @param denominatorMask tokens counted by the normaliser; null means {@code mask}
 * @param maxCompletionLength L of the dr-grpo and seq-mean-token-sum-norm normalisers
 * @param entropies per-token entropy of the current policy (the weights being trained, as logpNew),
 *     needed when {@code entropy_coef > 0}; null otherwise
 */
public record PolicyLossInput(
    double[][] logpNew,
    double[][] logpOld,
    double[][] logpRef,
    double[][] advantages,
    boolean[][] mask,
    boolean[][] denominatorMask,
    int maxCompletionLength,
    double[][] entropies) {

  public PolicyLossInput {
    int n = logpNew.length;
    checkRows("logpOld", logpOld.length, n);
    checkRows("advantages", advantages.length, n);
    checkRows("mask", mask.length, n);
    if (entropies != null) {
      checkRows("entropies", entropies.length, n);
    }
    for (int i = 0; i < n; i++) {
      int len = logpNew[i].length;
      checkLen("logpOld", i, logpOld[i].length, len);
      checkLen("advantages", i, advantages[i].length, len);
      checkLen("mask", i, mask[i].length, len);
      if (logpRef != null) {
        checkLen("logpRef", i, logpRef[i].length, len);
      }
      if (denominatorMask != null) {
        checkLen("denominatorMask", i, denominatorMask[i].length, len);
      }
      if (entropies != null) {
        checkLen("entropies", i, entropies[i].length, len);
      }
    }
    if (logpRef != null) {
      checkRows("logpRef", logpRef.length, n);
    }
    if (maxCompletionLength < 1) {
      throw new IllegalArgumentException(
          "maxCompletionLength must be >= 1, got " + maxCompletionLength);
    }
  }

  /** Input without current-policy entropies (entropy_coef = 0). */
  public PolicyLossInput(
      double[][] logpNew,
      double[][] logpOld,
      double[][] logpRef,
      double[][] advantages,
      boolean[][] mask,
      boolean[][] denominatorMask,
      int maxCompletionLength) {
    this(logpNew, logpOld, logpRef, advantages, mask, denominatorMask, maxCompletionLength, null);
  }

  /** This input with the current policy's per-token entropies, [N][len_i]. */
  public PolicyLossInput withEntropies(double[][] h) {
    return new PolicyLossInput(
        logpNew, logpOld, logpRef, advantages, mask, denominatorMask, maxCompletionLength, h);
  }

  /** Input whose normaliser counts the same tokens as the loss. */
  public PolicyLossInput(
      double[][] logpNew,
      double[][] logpOld,
      double[][] logpRef,
      double[][] advantages,
      boolean[][] mask,
      int maxCompletionLength) {
    this(logpNew, logpOld, logpRef, advantages, mask, null, maxCompletionLength);
  }

  public boolean[][] normaliserMask() {
    return denominatorMask == null ? mask : denominatorMask;
  }

  private static void checkRows(String name, int rows, int n) {
    if (rows != n) {
      throw new IllegalArgumentException(name + " has " + rows + " rows, logpNew has " + n);
    }
  }

  private static void checkLen(String name, int row, int len, int expected) {
    if (len != expected) {
      throw new IllegalArgumentException(
          name + " row " + row + " has " + len + " tokens, logpNew has " + expected);
    }
  }
}
