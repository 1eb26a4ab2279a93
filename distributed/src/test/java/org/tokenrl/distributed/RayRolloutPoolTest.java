package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.InProcessRolloutPool;
import org.tokenrl.rollout.PendingBatch;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPools;

/**
 * Against a real local Ray cluster (started by the pool: no address configured), shared by the
 * tests of this class: 2 rollout actors sample what the in-process pool samples, and survive the
 * kill of an actor's process in the middle of a step; with distributed.rewards_on = actors they
 * return the rewards the trainer would compute.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RayRolloutPoolTest {
  static final Path ROOT = Path.of(System.getProperty("tokenrl.root", "..")).toAbsolutePath();
  static final GptConfig MODEL = new GptConfig(20, 32, 1, 2, 64, 40);
  static final SamplingParams SAMPLING = new SamplingParams(1.0, 0, 1.0, 12, 1, false);

  /** A policy over the character tokenizer's ids, for pools that decode and score responses. */
  static final GptConfig CHAR_MODEL =
      new GptConfig(CharTokenizer.ascii().vocabSize(), 32, 1, 2, 64, 48);

  static final SamplingParams CHAR_SAMPLING =
      new SamplingParams(1.0, 0, 1.0, 12, CharTokenizer.ascii().eos(), false);

  static BufferAllocator allocator;
  static Policy policy;
  static RayRolloutPool ray;
  static InProcessRolloutPool local;

  static Config config(String... overrides) {
    List<String> all = new ArrayList<>(List.of("distributed.backend=ray"));
    all.addAll(List.of(overrides));
    return ConfigLoader.load(ROOT.resolve("configs"), ROOT.resolve("configs/quickstart.conf"), all)
        .config();
  }

  @BeforeAll
  static void startCluster() {
    allocator = new RootAllocator();
    policy = Policy.create(MODEL, OptimizerConfig.defaults(1e-3), 7);
    RolloutPool pool =
        RolloutPools.create(
            new RolloutPoolContext(policy, config("distributed.ray.actors=2"), allocator));
    ray = (RayRolloutPool) pool;
    local = new InProcessRolloutPool(policy, 2, allocator);
  }

  @AfterAll
  static void stopCluster() {
    if (ray != null) {
      ray.close();
    }
    if (local != null) {
      local.close();
    }
    if (policy != null) {
      policy.close();
    }
    if (allocator != null) {
      allocator.close();
    }
  }

  /** Prompts of varied lengths (BOS = 0 first), ids in the model's vocabulary. */
  static List<PromptRequest> prompts(int count, long seed) {
    Random rng = new Random(seed);
    List<PromptRequest> out = new ArrayList<>();
    for (int p = 0; p < count; p++) {
      int[] ids = new int[2 + rng.nextInt(6)];
      for (int t = 1; t < ids.length; t++) {
        ids[t] = 2 + rng.nextInt(MODEL.vocabSize() - 2);
      }
      out.add(new PromptRequest(100 + p, ids, "ref" + p));
    }
    return out;
  }

  static void assertSameRollouts(RolloutBatch expected, RolloutBatch actual) {
    assertEquals(expected.size(), actual.size());
    assertEquals(expected.groupSize(), actual.groupSize());
    assertArrayEquals(expected.exampleIds(), actual.exampleIds());
    assertArrayEquals(expected.groups(), actual.groups());
    assertArrayEquals(expected.references(), actual.references());
    assertArrayEquals(expected.truncatedFlags(), actual.truncatedFlags());
    int[][] tokens = expected.allResponseIds();
    float[][] logprobs = expected.allLogprobs();
    float[][] actualLogprobs = actual.allLogprobs();
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.promptIds(i), actual.promptIds(i), "prompt of row " + i);
      assertArrayEquals(tokens[i], actual.responseIds(i), "tokens of row " + i);
      assertArrayEquals(logprobs[i], actualLogprobs[i], 1e-5f, "logprobs of row " + i);
    }
  }

  @Test
  void twoActorsSampleTheSameTokensAsTheInProcessPool() {
    Policy trained = policy.copy();
    Map<String, float[]> weights = trained.exportWeights();
    // Perturb the weights so the test sees the synced version, not the start-up one.
    weights.values().forEach(w -> w[0] += 0.5f);
    local.syncWeights(3, weights);
    ray.syncWeights(3, weights);
    long[] fetchesAfterSync = ray.weightFetches();
    for (long seed : new long[] {11, 12}) {
      List<PromptRequest> prompts = prompts(6, seed);
      try (RolloutBatch expected = local.generate(prompts, 4, SAMPLING, seed);
          RolloutBatch actual = ray.generate(prompts, 4, SAMPLING, seed)) {
        assertSameRollouts(expected, actual);
        assertTrue(expected.totalResponseTokens() > 0);
      }
    }
    // An odd prompt count: slices of 3 and 2 prompts.
    List<PromptRequest> odd = prompts(5, 99);
    try (RolloutBatch expected = local.generate(odd, 3, SAMPLING, 5);
        RolloutBatch actual = ray.generate(odd, 3, SAMPLING, 5)) {
      assertSameRollouts(expected, actual);
    }
    // Three generate calls per actor with the version they hold: no weight bytes fetched again.
    assertArrayEquals(fetchesAfterSync, ray.weightFetches());
    ray.syncWeights(
        31, weights); // versions are never reused with other weights (the trainer's are steps)
    long[] afterNewVersion = ray.weightFetches();
    for (int i = 0; i < afterNewVersion.length; i++) {
      assertEquals(
          fetchesAfterSync[i] + 1, afterNewVersion[i], "actor " + i + " fetched version 31 once");
    }
    trained.close();
  }

  /**
   * LoRA on a pretrained base: the actors read the base from its path themselves, every sync
   * carries the adapters alone (distributed/weight_sync_bytes is their safetensors size, a small
   * fraction of the model), and the tokens equal the in-process pool's.
   */
  @Test
  void loraActorsLoadTheBaseOnceAndReceiveOnlyTheAdapters(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    org.tokenrl.core.HfTokenizer tokenizer =
        org.tokenrl.model.io.PretrainedModel.loadTokenizer(
            org.tokenrl.model.io.ModelCache.standard().resolve("smollm2-135m-instruct", s -> {}));
    org.tokenrl.model.arch.LlamaConfig tiny =
        new org.tokenrl.model.arch.LlamaConfig(
            49152, 16, 24, 2, 4, 2, 4, 1e-5, 10000, true, 64, false);
    Path base = dir.resolve("base");
    try (Policy random = Policy.create(tiny, OptimizerConfig.defaults(1e-3), 3)) {
      org.tokenrl.model.io.HfExport.write(
          base,
          tiny,
          random.exportWeights(),
          tokenizer,
          null,
          org.tokenrl.model.io.SafeTensors.DType.F32);
    }
    org.tokenrl.model.LoraConfig lora =
        new org.tokenrl.model.LoraConfig(2, 4.0, 0.0, List.of("q_proj", "v_proj", "down_proj"));
    try (Policy lp =
            org.tokenrl.model.io.PretrainedModel.load(base)
                .newPolicy(OptimizerConfig.defaults(1e-3), lora, 5);
        RolloutPool pool =
            RolloutPools.create(
                new RolloutPoolContext(lp, config("distributed.ray.actors=2"), allocator));
        InProcessRolloutPool inProcess = new InProcessRolloutPool(lp, 1, allocator)) {
      Map<String, float[]> adapters = lp.weightsToSync();
      assertTrue(
          adapters.keySet().stream().allMatch(k -> k.contains(".lora_")),
          adapters.keySet().toString());
      Random rng = new Random(9);
      adapters.forEach(
          (k, v) -> {
            for (int j = 0; j < v.length; j++) v[j] = (float) rng.nextGaussian();
          });
      pool.syncWeights(1, adapters);
      inProcess.syncWeights(1, adapters);
      long adapterValues = adapters.values().stream().mapToLong(v -> v.length).sum();
      double bytes = pool.metrics().get("distributed/weight_sync_bytes");
      assertTrue(bytes > 4 * adapterValues && bytes < 4 * adapterValues + 4096, bytes + " bytes");
      assertTrue(
          bytes < 0.05 * 4 * tiny.parameterCount(), "a fraction of the full model: " + bytes);
      List<PromptRequest> prompts = prompts(4, 31);
      try (RolloutBatch expected = inProcess.generate(prompts, 2, SAMPLING, 8);
          RolloutBatch actual = pool.generate(prompts, 2, SAMPLING, 8)) {
        assertSameRollouts(expected, actual);
      }
    }
  }

  @Test
  void aStartedBatchKeepsTheWeightsItStartedWith() {
    Map<String, float[]> older = policy.exportWeights();
    Map<String, float[]> newer = policy.exportWeights();
    newer.values().forEach(w -> w[0] -= 0.5f);
    List<PromptRequest> prompts = prompts(4, 17);
    // A second pool on the same cluster (the connection is shared and counted), in async mode:
    // syncWeights does not wait for the actors, yet a batch started before it samples with the
    // weights of its start, as the trainer's one-step-behind pipeline needs.
    try (RolloutPool async =
        RolloutPools.create(
            new RolloutPoolContext(
                policy, config("distributed.async=true", "distributed.ray.actors=1"), allocator))) {
      async.syncWeights(1, older);
      PendingBatch started = async.start(prompts, 2, SAMPLING, 8);
      async.syncWeights(2, newer);
      local.syncWeights(1, older);
      try (RolloutBatch expected = local.generate(prompts, 2, SAMPLING, 8);
          RolloutBatch actual = started.await()) {
        assertSameRollouts(expected, actual);
      }
      local.syncWeights(2, newer);
      try (RolloutBatch expected = local.generate(prompts, 2, SAMPLING, 8);
          RolloutBatch actual = async.generate(prompts, 2, SAMPLING, 8)) {
        assertSameRollouts(expected, actual);
      }
    }
    // The first pool still works after the second one closed.
    ray.syncWeights(4, older);
    local.syncWeights(4, older);
    try (RolloutBatch expected = local.generate(prompts, 2, SAMPLING, 9);
        RolloutBatch actual = ray.generate(prompts, 2, SAMPLING, 9)) {
      assertSameRollouts(expected, actual);
    }
  }

  @Test
  void aKilledActorIsRestartedAndTheStepCompletes() throws Exception {
    Map<String, float[]> weights = policy.exportWeights();
    local.syncWeights(5, weights);
    ray.syncWeights(5, weights);
    SamplingParams longer = new SamplingParams(1.0, 0, 1.0, 30, -1, false);
    // Several seconds of sampling per actor even on an idle machine, so the kill lands mid-slice.
    List<PromptRequest> prompts = prompts(256, 3);
    double before = ray.metrics().get("distributed/actor_restarts");
    long pid = ray.actorPid(1);
    CompletableFuture<RolloutBatch> step =
        CompletableFuture.supplyAsync(() -> ray.generate(prompts, 8, longer, 21));
    Thread.sleep(500);
    assertTrue(!step.isDone(), "the step finished before the kill; make it longer");
    Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).start();
    assertEquals(0, kill.waitFor());
    try (RolloutBatch actual = step.get(180, TimeUnit.SECONDS);
        RolloutBatch expected = local.generate(prompts, 8, longer, 21)) {
      assertSameRollouts(expected, actual);
    }
    assertTrue(
        ray.metrics().get("distributed/actor_restarts") >= before + 1, ray.metrics().toString());
    assertTrue(ray.actorPid(1) != pid, "actor 1 runs in a new process");
  }

  @Test
  void actorsReturnTheRewardsTheTrainerWouldCompute() {
    Config task = config("distributed.rewards_on=actors", "distributed.ray.actors=2");
    Config bleu =
        config(
            "defaults.task=reverse",
            "rewards=[{name=bleu, weight=1.0, smoothing=method1}]",
            "distributed.rewards_on=actors",
            "distributed.ray.actors=1");
    try (Policy chars = Policy.create(CHAR_MODEL, OptimizerConfig.defaults(1e-3), 5)) {
      for (Config config : List.of(task, bleu)) {
        List<Example> examples = ActorRewardsTest.examples(config, 5);
        try (RolloutPool pool =
                RolloutPools.create(new RolloutPoolContext(chars, config, allocator));
            RolloutBatch batch =
                pool.generate(ActorRewardsTest.requests(examples), 4, CHAR_SAMPLING, 31)) {
          assertTrue(pool.computesRewards());
          double[] expected = ActorRewardsTest.trainerTotals(config, examples, batch);
          assertArrayEquals(expected, batch.rewards(), 1e-12);
          if (config == bleu) {
            // Random responses share a few characters with some references: the column was
            // really filled (the task reward of an untrained policy is all 0; ActorRewardsTest
            // checks right answers score 1).
            assertTrue(
                java.util.Arrays.stream(batch.rewards()).anyMatch(r -> r > 0),
                java.util.Arrays.toString(batch.rewards()));
          }
        }
      }
    }
    assertTrue(!ray.computesRewards(), "rewards_on = trainer leaves scoring to the trainer");
  }

  @Test
  void aRewardThatFailsOnAnActorStopsTheStepWithItsMessage() {
    String prompt = ActorRewardsTest.examples(config(), 2).get(1).prompt();
    Config config = ActorRewardsTest.failingRewardConfig(prompt, "distributed.ray.actors=1");
    try (Policy chars = Policy.create(CHAR_MODEL, OptimizerConfig.defaults(1e-3), 5);
        RolloutPool pool = RolloutPools.create(new RolloutPoolContext(chars, config, allocator))) {
      List<PromptRequest> requests =
          ActorRewardsTest.requests(ActorRewardsTest.examples(config, 3));
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class, () -> pool.generate(requests, 4, CHAR_SAMPLING, 3));
      String m = e.getMessage();
      assertTrue(m.contains("rollout actor 0 failed during 'generate'"), m);
      assertTrue(m.contains("reward 'failing_test_reward' failed on sample 4"), m);
      assertTrue(m.contains("cannot score prompt \"" + prompt + "\""), m);
    }
  }
}
