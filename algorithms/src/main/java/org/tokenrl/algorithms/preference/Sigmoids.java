package org.tokenrl.algorithms.preference;

/**
 * Numerically stable σ, log σ and softplus (docs/preference.md §1.3). The naive {@code
 * log(1/(1+exp(−x)))} returns −∞ for x ≲ −710; these stay finite everywhere.
 */
final class Sigmoids {
  private Sigmoids() {}

  /** σ(x), never computing exp of a positive number. */
  static double sigmoid(double x) {
    if (x >= 0) {
      return 1.0 / (1.0 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1.0 + e);
  }

  /** log σ(x) = −(max(−x, 0) + log1p(exp(−|x|))). */
  static double logSigmoid(double x) {
    return -(Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x))));
  }

  /** softplus(x) = log(1 + eˣ) = −log σ(−x). */
  static double softplus(double x) {
    return -logSigmoid(-x);
  }

  /** σ(x) − ½ = tanh(x/2)/2, without the cancellation of subtracting ½ near 0. */
  static double centredSigmoid(double x) {
    return 0.5 * Math.tanh(0.5 * x);
  }
}
