package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.rollout.InProcessRolloutPool;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPools;
import org.tokenrl.rollout.env.MultiTurn;

/**
 * rollout.env on a real Ray cluster: the actor runs a Python environment next to its sampler, and
 * the batch equals the in-process pool's (tokens, log-probs, loss masks, environment rewards).
 */
class RayMultiTurnTest {
  @TempDir Path tmp;

  static final String ENV =
      String.join(
          "\n",
          "class Echo:",
          "    def __init__(self, row):",
          "        self.row = row",
          "    def step(self, turn):",
          "        if turn['index'] == 0:",
          "            return '=' + turn['text']",
          "        return {'done': True, 'reward': 0.5 + self.row['row']}",
          "");

  @Test
  void actorsRunTheEnvironmentAndMatchTheInProcessPool() throws Exception {
    Path file = tmp.resolve("echo_env.py");
    Files.writeString(file, ENV);
    StringBuilder stops = new StringBuilder("rollout.stop=[\" \"");
    for (char c = '0'; c <= 'z'; c++) {
      if (Character.isLetterOrDigit(c)) {
        stops.append(",\"").append(c).append('"');
      }
    }
    Config config =
        RayRolloutPoolTest.config(
            "distributed.ray.actors=1",
            "rollout.env.name=python",
            "rollout.env.path=\"" + file + "\"",
            "rollout.env.class=Echo",
            "rollout.max_turns=2",
            "rollout.max_total_tokens=40",
            stops.append(']').toString());
    CharTokenizer tok = CharTokenizer.ascii();
    List<PromptRequest> prompts = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      String text = p + "+1=";
      int[] ids = new int[text.length() + 1];
      ids[0] = tok.bos();
      System.arraycopy(tok.encode(text), 0, ids, 1, text.length());
      prompts.add(new PromptRequest(20 + p, ids, "", text, List.of()));
    }
    try (BufferAllocator allocator = new RootAllocator();
        Policy policy =
            Policy.create(RayRolloutPoolTest.CHAR_MODEL, OptimizerConfig.defaults(0), 11);
        RolloutPool ray =
            RolloutPools.create(new RolloutPoolContext(policy, config, allocator, tok));
        InProcessRolloutPool local =
            new InProcessRolloutPool(policy, 1, allocator, MultiTurn.driver(config, tok))) {
      var params = RayRolloutPoolTest.CHAR_SAMPLING;
      try (RolloutBatch expected = local.generate(prompts, 2, params, 5);
          RolloutBatch got = ray.generate(prompts, 2, params, 5)) {
        RayRolloutPoolTest.assertSameRollouts(expected, got);
        assertArrayEquals(expected.allLossMasks(), got.allLossMasks());
        assertArrayEquals(expected.rewards(), got.rewards(), 0.0);
        assertTrue(expected.hasMaskedTokens(), "the environment answered");
      }
    }
  }
}
