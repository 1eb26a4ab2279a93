package org.tokenrl.model;

/**
 * Receives full log-softmax rows one response position at a time ({@link Policy#responseLogProbs}):
 * memory stays O(chunk · V) however long the batch. The array is reused after the call returns:
 * copy what you keep.
 */
@FunctionalInterface
public interface LogProbRows {
  /**
   * @param row index of the (prompt, response) pair
   * @param t response position
   * @param logp log p(v | prefix) for every vocabulary id v, [V]
   */
  void accept(int row, int t, float[] logp);
}
