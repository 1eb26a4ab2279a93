package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.io.SafeTensors;
import org.tokenrl.rollout.InProcessRolloutPool;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.env.MultiTurn;

/**
 * Multi-turn rollouts where the actors run them (rollout.env on Ray): two workers, each driving its
 * slice with its own environments from the config and tokenizer the pool ships, give exactly the
 * in-process pool's batch: tokens, log-probs, loss masks and environment rewards. (Without starting
 * Ray: the actor is a thin shell around the worker.)
 */
class MultiTurnWorkerTest {
  static Config config() {
    List<String> stops = new ArrayList<>();
    for (char c = '0'; c <= 'z'; c++) {
      if (Character.isLetterOrDigit(c)) {
        stops.add(String.valueOf(c)); // a random model's turns end after a token or two
      }
    }
    return ConfigFactory.parseMap(
        Map.of(
            "rollout.env",
            Map.of(
                "name",
                EchoEnvironment.class.getName(),
                "path",
                "",
                "class",
                "",
                "options",
                Map.of()),
            "rollout.max_turns",
            3,
            "rollout.max_total_tokens",
            42,
            "rollout.stop",
            stops,
            "rollout.env_on_error",
            "fail",
            "rollout.env_timeout_s",
            30,
            "task.chat",
            false));
  }

  @Test
  void workersRunTheEnvironmentsAndMatchTheInProcessPool() {
    CharTokenizer tok = CharTokenizer.ascii();
    List<PromptRequest> prompts = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      String text = p + "+" + (p + 2) + "=";
      int[] ids = new int[text.length() + 1];
      ids[0] = tok.bos();
      System.arraycopy(tok.encode(text), 0, ids, 1, text.length());
      prompts.add(new PromptRequest(10 + p, ids, "", text, List.of()));
    }
    String shipped = RolloutWorker.multiTurnJson(config(), tok);
    try (BufferAllocator allocator = new RootAllocator();
        Policy policy =
            Policy.create(RayRolloutPoolTest.CHAR_MODEL, OptimizerConfig.defaults(0), 5);
        InProcessRolloutPool local =
            new InProcessRolloutPool(policy, 2, allocator, MultiTurn.driver(config(), tok));
        RolloutWorker a = new RolloutWorker(RayRolloutPoolTest.CHAR_MODEL).withMultiTurn(shipped);
        RolloutWorker b = new RolloutWorker(RayRolloutPoolTest.CHAR_MODEL).withMultiTurn(shipped)) {
      byte[] blob = SafeTensors.toBytes(policy.exportWeights(), policy.parameterShapes(), Map.of());
      a.loadWeights(1, blob);
      b.loadWeights(1, blob);
      var params = RayRolloutPoolTest.CHAR_SAMPLING;
      try (RolloutBatch first =
              RolloutBatch.fromIpcBytes(
                  allocator,
                  a.generate(new SliceRequest(0, prompts.subList(0, 1), 2, params, 9)).ipc());
          RolloutBatch second =
              RolloutBatch.fromIpcBytes(
                  allocator,
                  b.generate(new SliceRequest(1, prompts.subList(1, 3), 2, params, 9)).ipc());
          RolloutBatch joined = RolloutBatch.concat(allocator, List.of(first, second));
          RolloutBatch expected = local.generate(prompts, 2, params, 9)) {
        RayRolloutPoolTest.assertSameRollouts(expected, joined);
        assertArrayEquals(expected.allLossMasks(), joined.allLossMasks());
        assertArrayEquals(expected.rewards(), joined.rewards(), 0.0);
        assertTrue(expected.hasMaskedTokens(), "the environment answered");
      }
    }
  }
}
