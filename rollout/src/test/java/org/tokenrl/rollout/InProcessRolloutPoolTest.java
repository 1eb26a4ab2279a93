package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.arch.GptConfig;

/** A batch started in the background keeps the weights of its start (the async pipeline's need). */
class InProcessRolloutPoolTest {
  private static final SamplingParams SAMPLING = new SamplingParams(1.0, 0, 1.0, 12, -1, false);

  private static List<PromptRequest> prompts(int n) {
    List<PromptRequest> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new PromptRequest(i, new int[] {1, 5 + i % 7, 9}, ""));
    }
    return out;
  }

  @Test
  void aStartedBatchKeepsItsWeightsWhenNewOnesAreSynced() {
    try (BufferAllocator allocator = new RootAllocator();
        Policy policy =
            Policy.create(new GptConfig(20, 16, 1, 2, 32, 24), OptimizerConfig.defaults(1e-3), 3);
        InProcessRolloutPool pool = new InProcessRolloutPool(policy, 2, allocator);
        InProcessRolloutPool reference = new InProcessRolloutPool(policy, 1, allocator)) {
      Map<String, float[]> older = policy.exportWeights();
      Map<String, float[]> newer = policy.exportWeights();
      newer.values().forEach(w -> w[0] += 0.75f);
      pool.syncWeights(1, older);
      PendingBatch started = pool.start(prompts(6), 3, SAMPLING, 11);
      pool.syncWeights(2, newer); // waits for the started batch, then installs the new weights
      reference.syncWeights(1, older);
      try (RolloutBatch a = started.await();
          RolloutBatch b = reference.generate(prompts(6), 3, SAMPLING, 11)) {
        assertEquals(b.size(), a.size());
        for (int i = 0; i < a.size(); i++) {
          assertArrayEquals(b.responseIds(i), a.responseIds(i), "row " + i);
          assertArrayEquals(b.logprobs(i), a.logprobs(i), 1e-6f, "row " + i);
        }
      }
      reference.syncWeights(2, newer);
      boolean differs = false;
      try (RolloutBatch a = pool.generate(prompts(6), 3, SAMPLING, 11);
          RolloutBatch b = reference.generate(prompts(6), 3, SAMPLING, 11)) {
        for (int i = 0; i < a.size(); i++) {
          assertArrayEquals(
              b.logprobs(i), a.logprobs(i), 1e-6f, "later batches use the new weights");
        }
      }
      // the new weights really are different: the same batch under the old ones differs
      reference.syncWeights(1, older);
      try (RolloutBatch a = pool.generate(prompts(6), 3, SAMPLING, 11);
          RolloutBatch b = reference.generate(prompts(6), 3, SAMPLING, 11)) {
        for (int i = 0; i < a.size() && !differs; i++) {
          differs = !java.util.Arrays.equals(a.logprobs(i), b.logprobs(i));
        }
      }
      assertTrue(differs, "the two weight versions give different log-probs");
    }
  }
}
