package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.InProcessRolloutPool;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.RolloutPool;

/** The actor's work without Ray: wire formats and slice sampling. */
class RolloutWorkerTest {
  @Test
  void weightBlobRoundTripsNamesOrderAndBits() {
    Map<String, float[]> w = new LinkedHashMap<>();
    w.put("blocks.0.attn.wq", new float[] {1.5f, -0f, Float.NaN, Float.MIN_VALUE});
    w.put("émbed", new float[] {});
    w.put("ln.g", new float[] {3f});
    Map<String, float[]> back = WeightBlob.decode(WeightBlob.encode(w));
    assertEquals(List.copyOf(w.keySet()), List.copyOf(back.keySet()));
    for (String k : w.keySet()) {
      assertEquals(w.get(k).length, back.get(k).length);
      for (int i = 0; i < w.get(k).length; i++) {
        assertEquals(
            Float.floatToRawIntBits(w.get(k)[i]), Float.floatToRawIntBits(back.get(k)[i]));
      }
    }
    assertThrows(IllegalArgumentException.class, () -> WeightBlob.decode(new byte[] {1, 2, 3}));
  }

  @Test
  void sliceRequestRoundTrips() {
    SamplingParams params = new SamplingParams(0.7, 5, 0.9, 12, 3, false);
    List<PromptRequest> prompts =
        List.of(
            new PromptRequest(4, new int[] {0, 5, 6}, "a=ü"),
            new PromptRequest(9, new int[] {0}, ""));
    SliceRequest back =
        SliceRequest.fromBytes(new SliceRequest(6, prompts, 4, params, -77).toBytes());
    assertEquals(6, back.firstPrompt());
    assertEquals(4, back.groupSize());
    assertEquals(-77, back.seed());
    assertEquals(params, back.params());
    for (int i = 0; i < prompts.size(); i++) {
      assertEquals(prompts.get(i).exampleId(), back.prompts().get(i).exampleId());
      assertEquals(prompts.get(i).reference(), back.prompts().get(i).reference());
      assertArrayEquals(prompts.get(i).promptIds(), back.prompts().get(i).promptIds());
    }
  }

  /** Two workers each sampling a slice, concatenated, give the in-process pool's batch. */
  @Test
  void slicesConcatenateToTheInProcessBatch() {
    SamplingParams params = RayRolloutPoolTest.SAMPLING;
    List<PromptRequest> prompts = RayRolloutPoolTest.prompts(5, 8);
    try (BufferAllocator allocator = new RootAllocator();
        Policy policy = Policy.create(RayRolloutPoolTest.MODEL, OptimizerConfig.defaults(0), 3);
        InProcessRolloutPool local = new InProcessRolloutPool(policy, 1, allocator);
        RolloutWorker a = new RolloutWorker(RayRolloutPoolTest.MODEL);
        RolloutWorker b = new RolloutWorker(RayRolloutPoolTest.MODEL)) {
      byte[] blob = WeightBlob.encode(policy.exportWeights());
      a.loadWeights(1, blob);
      b.loadWeights(1, blob);
      assertEquals(1, a.weightsVersion());
      int[] starts = RolloutPool.sliceStarts(prompts.size(), 2);
      assertArrayEquals(new int[] {0, 2, 5}, starts);
      try (RolloutBatch first =
              RolloutBatch.fromIpcBytes(
                  allocator,
                  a.generate(new SliceRequest(0, prompts.subList(0, 2), 3, params, 42)).ipc()
              );
          RolloutBatch second =
              RolloutBatch.fromIpcBytes(
                  allocator,
                  b.generate(new SliceRequest(2, prompts.subList(2, 5), 3, params, 42)).ipc());
          RolloutBatch joined = RolloutBatch.concat(allocator, List.of(first, second));
          RolloutBatch expected = local.generate(prompts, 3, params, 42)) {
        RayRolloutPoolTest.assertSameRollouts(expected, joined);
      }
    }
  }
}
