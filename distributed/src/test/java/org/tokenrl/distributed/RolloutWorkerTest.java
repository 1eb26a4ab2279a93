package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.PythonRunner;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.io.SafeTensors;
import org.tokenrl.rollout.InProcessRolloutPool;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.RolloutPool;

/** The actor's work without Ray: wire formats and slice sampling. */
class RolloutWorkerTest {
  /** Weights travel as a safetensors file's bytes: the real package reads them, and so do we. */
  @Test
  void weightBytesAreASafetensorsFileAndRoundTripBits(@TempDir Path dir) throws Exception {
    LinkedHashMap<String, float[]> w = new LinkedHashMap<>();
    w.put(
        "model.layers.0.self_attn.q_proj.lora_A.weight",
        new float[] {1.5f, -0f, Float.MIN_VALUE, 7f});
    w.put("ln.g", new float[] {3f});
    Map<String, long[]> shapes =
        Map.of(w.keySet().iterator().next(), new long[] {2, 2}, "ln.g", new long[] {1});
    byte[] bytes = SafeTensors.toBytes(w, shapes, Map.of("weights_version", "7"));
    Map<String, float[]> back = SafeTensors.fromBytes(bytes, "test").tensors();
    assertEquals(List.copyOf(w.keySet()), List.copyOf(back.keySet()));
    for (String k : w.keySet()) {
      for (int i = 0; i < w.get(k).length; i++) {
        assertEquals(Float.floatToRawIntBits(w.get(k)[i]), Float.floatToRawIntBits(back.get(k)[i]));
      }
    }
    Path file = dir.resolve("w.safetensors");
    Files.write(file, bytes);
    String out =
        PythonRunner.run(
            "import sys\n"
                + "from safetensors import safe_open\n"
                + "with safe_open(sys.argv[1], framework='numpy') as f:\n"
                + "    print(f.metadata()['weights_version'])\n"
                + "    for k in f.keys():\n"
                + "        t = f.get_tensor(k)\n"
                + "        print(k, list(t.shape), str(t.dtype), float(t.sum()))\n",
            file.toString());
    assertTrue(out.contains("7\n"), out);
    assertTrue(
        out.contains("model.layers.0.self_attn.q_proj.lora_A.weight [2, 2] float32 8.5"), out);
    assertTrue(out.contains("ln.g [1] float32 3.0"), out);
    assertThrows(Exception.class, () -> SafeTensors.fromBytes(new byte[] {1, 2, 3}, "junk"));
  }

  @Test
  void sliceRequestRoundTrips() {
    SamplingParams params = new SamplingParams(0.7, 5, 0.9, 12, 3, false, java.util.Set.of(2, 9));
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
      byte[] blob = SafeTensors.toBytes(policy.exportWeights(), policy.parameterShapes(), Map.of());
      a.loadWeights(1, blob);
      b.loadWeights(1, blob);
      assertEquals(1, a.weightsVersion());
      int[] starts = RolloutPool.sliceStarts(prompts.size(), 2);
      assertArrayEquals(new int[] {0, 2, 5}, starts);
      try (RolloutBatch first =
              RolloutBatch.fromIpcBytes(
                  allocator,
                  a.generate(new SliceRequest(0, prompts.subList(0, 2), 3, params, 42)).ipc());
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
