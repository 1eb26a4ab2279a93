package org.tokenrl.model;

/**
 * How {@link Policy#generate} picks tokens.
 *
 * @param temperature divides the logits before softmax (must be > 0 unless greedy)
 * @param topK keep only the k most likely tokens; {@code <= 0} = off
 * @param topP keep the smallest set of most likely tokens whose mass reaches topP; {@code >= 1} =
 *     off
 * @param maxNewTokens upper bound on generated tokens per row
 * @param eosId generation of a row stops after it emits this id ({@code < 0}: never)
 * @param greedy argmax (ties to the lowest id); ignores temperature, topK and topP for the choice
 * @param stopIds further ids that end a row like {@code eosId} (real chat models have several)
 */
public record SamplingParams(
    double temperature,
    int topK,
    double topP,
    int maxNewTokens,
    int eosId,
    boolean greedy,
    java.util.Set<Integer> stopIds) {

  /** Stops on {@code eosId} only. */
  public SamplingParams(
      double temperature, int topK, double topP, int maxNewTokens, int eosId, boolean greedy) {
    this(temperature, topK, topP, maxNewTokens, eosId, greedy, java.util.Set.of());
  }

  public SamplingParams {
    stopIds = java.util.Set.copyOf(stopIds);
    if (!greedy && !(temperature > 0)) {
      throw new IllegalArgumentException("sampling.temperature must be > 0, got " + temperature);
    }
    if (!(topP > 0)) {
      throw new IllegalArgumentException("sampling.topP must be > 0 (>= 1 disables), got " + topP);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("sampling.maxNewTokens must be >= 1, got " + maxNewTokens);
    }
  }

  /** Whether emitting {@code id} ends the row. */
  public boolean stops(int id) {
    return id == eosId || stopIds.contains(id);
  }

  /** Temperature of the distribution whose log-probs are reported (1 for greedy with T <= 0). */
  public double scoringTemperature() {
    return temperature > 0 ? temperature : 1.0;
  }
}
