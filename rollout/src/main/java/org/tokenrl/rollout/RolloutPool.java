package org.tokenrl.rollout;

import java.util.List;
import java.util.Map;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.SamplingParams;

/**
 * Generates G responses for each of B prompts with the weights of the last {@link #syncWeights}.
 *
 * <p>Rows come back group-major: row {@code p * G + k} is the k-th response to prompt p. Every row
 * is sampled with its own RNG seeded from {@code (seed, p, k)}, so the tokens do not depend on how
 * rows are spread over workers: the in-process pool and a Ray pool return the same batch.
 */
public interface RolloutPool extends AutoCloseable {

  RolloutBatch generate(List<PromptRequest> prompts, int groupSize, SamplingParams params, long seed);

  /** Installs new weights; every later {@link #generate} uses exactly these. */
  void syncWeights(long version, Map<String, float[]> weights);

  /**
   * Whether {@link #generate} returns batches whose reward column holds the run's composite reward
   * (a Ray pool with {@code distributed.rewards_on = actors}); false means the rewards are 0 and
   * the trainer scores the batch.
   */
  default boolean computesRewards() {
    return false;
  }

  /** Pool-specific counters (e.g. actor restarts) to add to the step metrics. */
  default Map<String, Double> metrics() {
    return Map.of();
  }

  @Override
  void close();
}
