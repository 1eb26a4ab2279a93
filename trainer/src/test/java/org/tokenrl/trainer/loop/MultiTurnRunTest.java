package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigException;

/**
 * Multi-turn GRPO end to end on the tiny model: rollouts with an environment (the built-in
 * calculator, and a test environment that always answers once), the loss mask from the pool's batch
 * into the algorithm's (TokenCredit.requireWithin fails a step whose masked tokens got credit), and
 * an update with a finite non-zero gradient in every step.
 */
class MultiTurnRunTest {
  @TempDir Path tmp;

  private static final String[] MULTI_TURN = {
    "sft.steps=0",
    "trainer.steps=2",
    "trainer.checkpoint_every=0",
    "trainer.eval_every=0",
    "trainer.eval_size=8",
    "model.max_seq_len=96",
    "rollout.max_new_tokens=8",
    "rollout.max_turns=2",
    "rollout.max_total_tokens=64"
  };

  private static List<JsonNode> rlSteps(Path dir) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode step : TrainingRunTest.metrics(dir)) {
      if (step.has("train/reward_mean")) {
        out.add(step);
      }
    }
    return out;
  }

  private static Path run(Path dir, String... extra) throws IOException {
    List<String> all = new ArrayList<>(List.of(MULTI_TURN));
    all.addAll(List.of(extra));
    return TrainingRunTest.train(dir, Long.MAX_VALUE, all.toArray(String[]::new));
  }

  /**
   * Every printable character as a stop string: a random tiny model's turns end after one token
   * instead of running out of budget, so the environment is asked and answers.
   */
  private static String everyCharacterStops() {
    StringBuilder s = new StringBuilder("rollout.stop=[\" \"");
    for (char c = '!'; c <= '~'; c++) {
      String quoted = c == '"' || c == '\\' ? "\\" + c : String.valueOf(c);
      s.append(",\"").append(quoted).append('"');
    }
    return s.append(']').toString();
  }

  @Test
  void environmentTokensAreMaskedAndTheRunTrains() throws IOException {
    Path dir =
        run(
            tmp.resolve("one"),
            everyCharacterStops(),
            "rollout.env.name=org.tokenrl.trainer.loop.OneObservationEnvironment",
            "rollout.env.options.text=\"42\"",
            "rollout.env.options.reward=0.25");
    List<JsonNode> steps = rlSteps(dir);
    assertEquals(2, steps.size());
    for (JsonNode s : steps) {
      double gradNorm = s.get("optim/grad_norm").asDouble();
      assertTrue(Double.isFinite(gradNorm) && gradNorm > 0, "no gradient: " + s);
      // policy turn, observation, policy turn: unless the first turn ran out of tokens
      assertTrue(s.get("rollout/turns_mean").asDouble() > 1, s.toString());
      assertTrue(s.get("rollout/env_token_frac").asDouble() > 0, s.toString());
      assertEquals(0.0, s.get("rollout/env_errors").asDouble());
      assertTrue(s.get("rollout/env_reward_mean").asDouble() > 0, s.toString());
    }
    // the final evaluation rolled the held-out prompts out with the environment too
    JsonNode last = steps.get(steps.size() - 1);
    assertTrue(last.get("eval/multi_turn_frac").asDouble() > 0, last.toString());
  }

  @Test
  void calculatorEnvironmentRunsTwoGrpoSteps() throws IOException {
    Path dir = run(tmp.resolve("calc"), "rollout.env.name=calculator");
    List<JsonNode> steps = rlSteps(dir);
    assertEquals(2, steps.size());
    for (JsonNode s : steps) {
      assertTrue(Double.isFinite(s.get("optim/grad_norm").asDouble()), s.toString());
    }
  }

  @Test
  void badEnvironmentSettingsStopBeforeAnyWork() {
    Path dir = tmp.resolve("bad");
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> run(dir, "rollout.env.name=com.example.NoSuchEnv"));
    assertTrue(e.getMessage().contains("rollout.env.name = com.example.NoSuchEnv"), e.getMessage());
    ConfigException onError =
        assertThrows(
            ConfigException.class,
            () -> run(dir, "rollout.env.name=calculator", "rollout.env_on_error=ignore"));
    assertTrue(onError.getMessage().contains("rollout.env_on_error must be fail or zero"));
  }
}
