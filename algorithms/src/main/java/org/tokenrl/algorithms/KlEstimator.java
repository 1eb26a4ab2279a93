package org.tokenrl.algorithms;

/**
 * Per-token estimators of KL(π_θ || π_ref) from one sample, with x = logpNew − logpRef (docs/grpo.md §3
 * step 4, Schulman's k1/k2/k3). Each returns its value and its derivative in logpNew.
 */
public enum KlEstimator {
  /** x; unbiased, can be negative (verl "kl"). */
  K1,
  /** x²/2 (verl "mse"). */
  K2,
  /**
   * exp(−x) + x − 1 ≥ 0, DeepSeekMath/TRL. verl clamps −x to [−20, 20] and the value to [−10, 10];
   * the gradient is 0 wherever a clamp is active.
   */
  K3;

  /** KL value for one token. */
  public double value(double logpNew, double logpRef) {
    double x = logpNew - logpRef;
    return switch (this) {
      case K1 -> x;
      case K2 -> 0.5 * x * x;
      case K3 -> {
        double d = clamp(-x, 20);
        yield clamp(Math.exp(d) - d - 1, 10);
      }
    };
  }

  /** d value / d logpNew for one token. */
  public double derivative(double logpNew, double logpRef) {
    double x = logpNew - logpRef;
    return switch (this) {
      case K1 -> 1.0;
      case K2 -> x;
      case K3 -> {
        double d = -x;
        if (Math.abs(d) > 20) {
          yield 0.0;
        }
        double v = Math.exp(d) - d - 1;
        yield Math.abs(v) > 10 ? 0.0 : 1 - Math.exp(d);
      }
    };
  }

  private static double clamp(double v, double bound) {
    return Math.max(-bound, Math.min(bound, v));
  }
}
