package org.tokenrl.model;

/**
 * A {@link ReferenceScorer} owning a policy copy that nothing else can reach, so it never moves.
 */
final class FrozenPolicy implements ReferenceScorer {
  private final Policy policy;

  FrozenPolicy(Policy policy) {
    this.policy = policy;
  }

  @Override
  public TokenScores score(int[][] prompts, int[][] responses, double temperature) {
    return policy.score(prompts, responses, temperature);
  }

  @Override
  public void close() {
    policy.close();
  }
}
