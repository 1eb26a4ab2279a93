package org.tokenrl.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Policy#referenceView}: a LoRA policy's model scored with the adapters switched off (the
 * base) or swapped for a frozen copy for the length of the call. Owns nothing.
 */
final class AdapterReference implements ReferenceScorer {
  private final Policy policy;
  private final Map<String, float[]> frozenAdapters; // null: adapters off

  AdapterReference(Policy policy, Map<String, float[]> frozenAdapters) {
    this.policy = policy;
    this.frozenAdapters = frozenAdapters;
  }

  /** Scores under the policy's lock, so no update or other score sees the swapped adapters. */
  @Override
  public TokenScores score(int[][] prompts, int[][] responses, double temperature) {
    synchronized (policy) {
      if (frozenAdapters == null) {
        policy.loraState().enabled = false;
        try {
          return policy.score(prompts, responses, temperature);
        } finally {
          policy.loraState().enabled = true;
        }
      }
      Map<String, INDArray> adapters = Weights.adapters(policy.model());
      LinkedHashMap<String, float[]> live = policy.adapterWeights();
      Weights.assignAll(adapters, frozenAdapters, "adapters");
      try {
        return policy.score(prompts, responses, temperature);
      } finally {
        Weights.assignAll(adapters, live, "adapters");
      }
    }
  }

  @Override
  public void close() {}
}
