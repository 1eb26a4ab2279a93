package org.tokenrl.model;

/**
 * The loss of {@link Policy#update(int[][], int[][], double, UpdateObjective)}, evaluated between
 * its forward and backward pass: given the log-probs and entropies of every response token under
 * the weights being updated, it returns the loss's derivatives with respect to them. A caller that
 * wants the loss value or metrics keeps them from inside {@link #coefficients}.
 */
@FunctionalInterface
public interface UpdateObjective {
  /** dLoss/dlogp per response token and dLoss/dH (null: no entropy term), shaped as the scores. */
  record Coefficients(double[][] gradLogp, double[][] gradEntropy) {}

  Coefficients coefficients(TokenScores current);
}
