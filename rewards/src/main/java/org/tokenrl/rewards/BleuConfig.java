package org.tokenrl.rewards;

import java.util.Arrays;

/**
 * BLEU parameters.
 *
 * @param maxN highest n-gram order (NLTK default 4)
 * @param weights one weight per order 1..maxN, used as given (NLTK default uniform 1/maxN)
 * @param smoothing NLTK smoothing method (NLTK default {@link Smoothing#METHOD0})
 * @param mode which implementation to reproduce (default {@link BleuMode#NLTK_EXACT})
 */
public record BleuConfig(int maxN, double[] weights, Smoothing smoothing, BleuMode mode) {

  /** NLTK's defaults: 4-grams, uniform weights, no smoothing, NLTK-exact. */
  public static final BleuConfig DEFAULT =
      new BleuConfig(4, uniformWeights(4), Smoothing.METHOD0, BleuMode.NLTK_EXACT);

  public BleuConfig {
    if (maxN < 1) {
      throw new IllegalArgumentException("maxN must be >= 1, got " + maxN);
    }
    if (weights == null || weights.length != maxN) {
      throw new IllegalArgumentException(
          "weights must have maxN = "
              + maxN
              + " entries, got "
              + (weights == null ? "null" : Arrays.toString(weights)));
    }
    for (double w : weights) {
      if (!Double.isFinite(w)) {
        throw new IllegalArgumentException(
            "weights must be finite, got " + Arrays.toString(weights));
      }
    }
    if (smoothing == null || mode == null) {
      throw new IllegalArgumentException("smoothing and mode must not be null");
    }
    weights = weights.clone();
  }

  /** maxN orders with uniform weights 1/maxN and NLTK-exact scoring. */
  public static BleuConfig of(int maxN, Smoothing smoothing) {
    return new BleuConfig(maxN, uniformWeights(maxN), smoothing, BleuMode.NLTK_EXACT);
  }

  /** The same configuration with another mode. */
  public BleuConfig withMode(BleuMode newMode) {
    return new BleuConfig(maxN, weights, smoothing, newMode);
  }

  /** A copy of the weights (the record keeps its own copy). */
  @Override
  public double[] weights() {
    return weights.clone();
  }

  /** Weight of order n (1-based), without copying. */
  double weight(int n) {
    return weights[n - 1];
  }

  /** {@code n} weights of 1/n, as NLTK's {@code (1/n,) * n}. */
  public static double[] uniformWeights(int n) {
    double[] w = new double[n];
    Arrays.fill(w, 1.0 / n);
    return w;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BleuConfig c
        && c.maxN == maxN
        && Arrays.equals(c.weights, weights)
        && c.smoothing == smoothing
        && c.mode == mode;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * maxN + Arrays.hashCode(weights)) + smoothing.hashCode())
        + mode.hashCode();
  }

  @Override
  public String toString() {
    return "BleuConfig[maxN="
        + maxN
        + ", weights="
        + Arrays.toString(weights)
        + ", smoothing="
        + smoothing
        + ", mode="
        + mode
        + "]";
  }
}
