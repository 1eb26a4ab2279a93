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

  /** Samples the batch and waits for it: {@code start(...).await()}. */
  default RolloutBatch generate(
      List<PromptRequest> prompts, int groupSize, SamplingParams params, long seed) {
    return start(prompts, groupSize, params, seed).await();
  }

  /**
   * Starts sampling and returns at once, so the caller can work (e.g. update the policy) while the
   * batch is generated. The batch uses the weights of the last {@link #syncWeights} before this
   * call, even if weights are synced again before {@link PendingBatch#await}.
   */
  PendingBatch start(List<PromptRequest> prompts, int groupSize, SamplingParams params, long seed);

  /** Boundaries of {@code parts} contiguous slices of {@code n} items, sizes differing by <= 1. */
  static int[] sliceStarts(int n, int parts) {
    int[] starts = new int[parts + 1];
    for (int w = 0; w <= parts; w++) {
      starts[w] = (int) ((long) n * w / parts);
    }
    return starts;
  }

  /**
   * Installs new weights; every later {@link #generate} or {@link #start} uses exactly these. A
   * batch started earlier keeps the weights it started with.
   */
  void syncWeights(long version, Map<String, float[]> weights);

  /**
   * Whether {@link #generate} returns batches whose reward column holds the run's composite reward
   * (a Ray pool with {@code distributed.rewards_on = actors}); false means the rewards are 0 and
   * the trainer scores the batch.
   */
  default boolean computesRewards() {
    return false;
  }

  /**
   * When {@link #computesRewards()}: the reward metrics of the batch awaited last ({@code
   * reward/<name>_mean}, {@code reward/errors}), as the trainer's own scoring would log them; empty
   * otherwise.
   */
  default Map<String, Double> lastRewardMetrics() {
    return Map.of();
  }

  /**
   * Where rollouts run, for the run's start-up line: e.g. "in-process, 2 threads" or "Ray, 2 actors
   * at 10.0.0.5:6379".
   */
  String description();

  /** Pool-specific counters (e.g. actor restarts) to add to the step metrics. */
  default Map<String, Double> metrics() {
    return Map.of();
  }

  @Override
  void close();
}
