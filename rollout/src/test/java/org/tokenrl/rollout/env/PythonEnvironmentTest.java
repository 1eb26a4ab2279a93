package org.tokenrl.rollout.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.CharTokenizer;

/**
 * An environment written in Python (rollout.env.name = python) through the real {@code python3 -I}
 * worker: it sees the row and each turn, its observation is appended with mask false, its reward
 * and tools arrive; a raising step and a hanging one fail the row with one line.
 */
class PythonEnvironmentTest {
  @TempDir Path tmp;

  static final String ENV =
      String.join(
          "\n",
          "import time",
          "class Echo:",
          "    def __init__(self, row, bonus=0.5):",
          "        self.row = row",
          "        self.bonus = bonus",
          "    def tools(self):",
          "        return [{'type': 'function', 'function': {'name': 'echo',",
          "                 'parameters': {'type': 'object', 'properties': {}}}}]",
          "    def step(self, turn):",
          "        print('user code may print')",
          "        if turn['index'] == 0:",
          "            return [{'role': 'tool', 'content': 'seen ' + turn['text'] + ' of '",
          "                     + self.row['prompt']}]",
          "        return {'done': True, 'reward': self.bonus * len(turn['ids'])}",
          "class Raises(Echo):",
          "    def step(self, turn):",
          "        return {}['missing']",
          "class Hangs(Echo):",
          "    def step(self, turn):",
          "        time.sleep(30)",
          "");

  Config config(Path file, String cls, double timeout) {
    return ConfigFactory.parseMap(
        Map.of(
            "rollout.env.name",
            "python",
            "rollout.env.path",
            file.toString(),
            "rollout.env.class",
            cls,
            "rollout.env.options",
            Map.of("bonus", 0.25),
            "rollout.env_timeout_s",
            timeout));
  }

  @Test
  void pythonEnvironmentDrivesTheRollout() throws Exception {
    Path file = tmp.resolve("my_env.py");
    Files.writeString(file, ENV);
    CharTokenizer tok = CharTokenizer.ascii();
    MultiTurnDriverTest.ScriptedPolicy policy = new MultiTurnDriverTest.ScriptedPolicy();
    policy.script(3, "hi$", "bye$");
    try (EnvironmentFactory f = Environments.create(config(file, "Echo", 30));
        MultiTurnDriver d =
            new MultiTurnDriver(
                MultiTurnDriverTest.settings(3, MultiTurnSettings.OnError.FAIL),
                f,
                new PlainRenderer(tok))) {
      EnvRow row = new EnvRow(0, 9, "2+2", "4", List.of(), 3);
      MultiTurnRollout r =
          d.run(
                  List.of(new MultiTurnDriver.Request(row, new int[] {tok.bos()})),
                  policy,
                  MultiTurnDriverTest.params(),
                  new long[] {3})
              .get(0);
      MultiTurnDriverTest.assertSegments(
          r, "hi$", "<tool_response>seen hi of 2+2</tool_response>", "bye$");
      assertEquals(MultiTurnRollout.End.DONE, r.end());
      assertEquals(0.25 * 4, r.envReward(), 1e-12); // "bye" + EOS: 4 ids
      assertEquals("echo", ((Map<?, ?>) f.create(row).tools().get(0).get("function")).get("name"));
    }
  }

  @Test
  void pythonFailuresAreOneLineNamingRowAndTurn() throws Exception {
    Path file = tmp.resolve("my_env.py");
    Files.writeString(file, ENV);
    CharTokenizer tok = CharTokenizer.ascii();
    MultiTurnDriverTest.ScriptedPolicy policy = new MultiTurnDriverTest.ScriptedPolicy();
    policy.script(3, "hi$");
    List<MultiTurnDriver.Request> one =
        List.of(
            new MultiTurnDriver.Request(
                new EnvRow(4, 12, "q", "", List.of(), 3), new int[] {tok.bos()}));
    try (EnvironmentFactory f = Environments.create(config(file, "Raises", 30));
        MultiTurnDriver d =
            new MultiTurnDriver(
                MultiTurnDriverTest.settings(3, MultiTurnSettings.OnError.FAIL),
                f,
                new PlainRenderer(tok))) {
      EnvironmentException e =
          assertThrows(
              EnvironmentException.class,
              () -> d.run(one, policy, MultiTurnDriverTest.params(), new long[] {3}));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "rollout.env 'python my_env.py:Raises': row 4 (example 12), turn 1: raised"
                      + " KeyError: 'missing'"),
          e.getMessage());
    }
    try (EnvironmentFactory f = Environments.create(config(file, "Hangs", 2));
        MultiTurnDriver d =
            new MultiTurnDriver(
                new MultiTurnSettings(3, 90, 400, List.of(), MultiTurnSettings.OnError.ZERO, 30),
                f,
                new PlainRenderer(tok))) {
      MultiTurnRollout r = d.run(one, policy, MultiTurnDriverTest.params(), new long[] {3}).get(0);
      assertEquals(MultiTurnRollout.End.ERROR, r.end());
      assertTrue(r.error().contains("did not answer within 2.0 s"), r.error());
      assertArrayEquals(new boolean[] {true, true, true}, r.lossMask());
    }
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> Environments.create(config(tmp.resolve("nope.py"), "Echo", 1)));
    assertTrue(missing.getMessage().startsWith("rollout.env.path = \""), missing.getMessage());
  }
}
