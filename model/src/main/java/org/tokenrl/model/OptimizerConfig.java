package org.tokenrl.model;

/**
 * AdamW hyper-parameters. Weight decay is decoupled (AdamW) and applied to matrices only
 * (embeddings and linear weights), not to LayerNorm gains and biases.
 *
 * @param gradClipNorm global L2 norm to clip gradients to; {@code <= 0} disables clipping
 */
public record OptimizerConfig(
    double learningRate,
    double beta1,
    double beta2,
    double eps,
    double weightDecay,
    double gradClipNorm) {

  public OptimizerConfig {
    if (!(learningRate >= 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException(
          "optimizer.learningRate must be finite and >= 0, got " + learningRate);
    }
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new IllegalArgumentException("optimizer.beta1 must be in [0,1), got " + beta1);
    }
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("optimizer.beta2 must be in [0,1), got " + beta2);
    }
    if (!(eps > 0)) {
      throw new IllegalArgumentException("optimizer.eps must be > 0, got " + eps);
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("optimizer.weightDecay must be >= 0, got " + weightDecay);
    }
    if (Double.isNaN(gradClipNorm)) {
      throw new IllegalArgumentException("optimizer.gradClipNorm must be a number (<= 0 disables)");
    }
  }

  /** AdamW defaults of nanoGPT-style small-model training. */
  public static OptimizerConfig defaults(double learningRate) {
    return new OptimizerConfig(learningRate, 0.9, 0.95, 1e-8, 0.0, 1.0);
  }
}
