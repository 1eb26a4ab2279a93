package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@code python} reward against a real {@code python3} (no mocks): both signatures, dict
 * metrics, None rows, each failure as one line, and no process left after close.
 */
class PythonRewardTest {
  private static final Path ROOT = Path.of("src/test/resources/python");
  private static final List<String> RESPONSES = List.of("42", " Paris ", "no idea", "skip");
  private static final List<String> REFERENCES = List.of("42", "paris", "7", "x");

  private static CompositeReward reward(String entry) {
    return reward(entry, "stop");
  }

  private static CompositeReward reward(String entry, String onError) {
    return CompositeReward.fromConfig(
        ConfigFactory.parseString(
            "rewards = [{name = python, " + entry + "}], reward.on_error = " + onError),
        ROOT);
  }

  private static RewardInput input() {
    return Batches.of(2, RESPONSES, REFERENCES, null); // prompts q0, q0, q1, q1
  }

  private static PythonReward python(CompositeReward reward) {
    return (PythonReward) reward.components().get(0).function();
  }

  @Test
  void verlSignatureScoresEachRowAndLogsTheDictsOtherNumbers() {
    try (CompositeReward reward = reward("path = verl_reward.py")) {
      assertEquals("verl", python(reward).signature());
      RewardResult r = reward.score(input());
      double[] expected = new double[RESPONSES.size()];
      double lengths = 0;
      for (int i = 0; i < expected.length; i++) {
        String response = RESPONSES.get(i);
        boolean same =
            response.strip().toLowerCase(Locale.ROOT).equals(REFERENCES.get(i).toLowerCase());
        expected[i] = same ? 1.0 : 0.1 * response.length();
        lengths += response.length();
      }
      assertArrayEquals(expected, r.total(), 1e-12);
      assertArrayEquals(expected, r.components().get("python"), 1e-12);
      assertEquals(lengths / 4, r.metrics().get("reward/python/length"), 1e-12);
      assertEquals(1.5, r.metrics().get("reward/python/row"), 1e-12); // extra_info index 0..3
      assertFalse(r.metrics().containsKey("reward/python/note"), "text values are not metrics");
      assertEquals(0.0, r.metrics().get("reward/errors"));
    }
  }

  @Test
  void verlFloatReturnAndDataSource() {
    try (CompositeReward reward =
        reward("path = verl_reward.py, data_source = plain, weight = 2.0")) {
      RewardResult r = reward.score(input());
      assertEquals(2.0, r.total()[0], 1e-12); // "42" matches, weight 2
      assertFalse(r.metrics().containsKey("reward/python/length"));
    }
  }

  @Test
  void trlSignatureScoresTheBatchAndNoneLeavesARowUnscored() {
    try (CompositeReward reward =
        reward("path = trl_reward.py, function = length_reward, weight = 0.5")) {
      assertEquals("trl", python(reward).signature());
      RewardInput in = input();
      RewardResult r = reward.score(in);
      double sum = 0;
      for (int i = 0; i < 3; i++) {
        double s =
            in.responseIds()[i].length / 10.0
                + (in.promptTexts().get(i).equals("q0") ? 1.0 : 0.0)
                + (RESPONSES.get(i).equals(REFERENCES.get(i)) ? 0.5 : 0.0);
        assertEquals(s, r.components().get("python")[i], 1e-12, "row " + i);
        assertEquals(0.5 * s, r.total()[i], 1e-12, "row " + i);
        sum += s;
      }
      assertTrue(Double.isNaN(r.components().get("python")[3]), "None is no score");
      assertTrue(Double.isNaN(r.total()[3]), "a row no component scores has a NaN total");
      assertEquals(sum / 3, r.metrics().get("reward/python_mean"), 1e-12);
      assertEquals(0.0, r.metrics().get("reward/errors"));
    }
  }

  @Test
  void aNoneRowKeepsTheOtherComponentsScore() {
    CompositeReward reward =
        CompositeReward.fromConfig(
            ConfigFactory.parseString(
                "rewards = [{name = python, path = trl_reward.py, function = length_reward},"
                    + " {name = exact_match}]"),
            ROOT);
    try (reward) {
      RewardResult r = reward.score(input());
      assertEquals(0.0, r.total()[3], 0.0); // exact_match scored "skip" vs "x": 0
    }
  }

  @Test
  void printsGoToStderrNotTheProtocol() {
    try (CompositeReward reward = reward("path = failing.py, function = noisy")) {
      assertEquals(0.25, reward.score(input()).total()[0], 0.0);
    }
  }

  // --- failures at startup: one line naming the key and the file ---

  private static String startError(String entry) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> reward(entry).close());
    assertOneLine(e.getMessage());
    return e.getMessage();
  }

  private static void assertOneLine(String message) {
    assertFalse(message.contains("\n"), "one line: " + message);
  }

  @Test
  void missingFile() {
    String m = startError("path = nowhere.py");
    assertTrue(m.startsWith("rewards[0]: python.path = nowhere.py: no such file"), m);
  }

  @Test
  void pythonThatCannotStart() {
    String m = startError("path = verl_reward.py, python = /no/such/python3");
    assertTrue(m.contains("cannot start the Python worker with python = /no/such/python3"), m);
  }

  @Test
  void syntaxError() {
    String m = startError("path = syntax_error.py");
    assertTrue(m.contains("python reward syntax_error.py:compute_score: cannot load it"), m);
    assertTrue(m.contains("SyntaxError: '(' was never closed (syntax_error.py, line 1)"), m);
  }

  @Test
  void importError() {
    String m = startError("path = import_error.py");
    assertTrue(m.contains("ModuleNotFoundError: No module named 'tokenrl_no_such_module'"), m);
  }

  @Test
  void missingFunction() {
    String m = startError("path = verl_reward.py, function = nope");
    assertTrue(m.contains("verl_reward.py has no function nope (functions there:"), m);
    assertTrue(m.contains("compute_score"), m);
  }

  @Test
  void unknownSignatureAsksForTheKey() {
    String m = startError("path = failing.py, function = unknown_shape");
    assertTrue(m.contains("cannot tell the signature of unknown_shape(a, b): set signature"), m);
    // the key decides instead of the names
    try (CompositeReward r =
        reward("path = failing.py, function = unknown_shape, signature = trl")) {
      assertEquals("trl", python(r).signature());
    }
  }

  @Test
  void badKeys() {
    assertTrue(startError("path = verl_reward.py, signature = hf").contains("signature"));
    assertTrue(startError("path = verl_reward.py, timeout = 3").contains("timeout"));
  }

  // --- failures while scoring: one line, reward.on_error ---

  private static RewardException scoreError(String entry, RewardInput in) {
    try (CompositeReward reward = reward(entry)) {
      RewardException e = assertThrows(RewardException.class, () -> reward.score(in));
      assertOneLine(e.getMessage());
      return e;
    }
  }

  private static RewardInput boom() {
    return Batches.responses("fine", "boom", "also fine");
  }

  @Test
  void exceptionInTheFunctionNamesTheRowAndTheTracebacksLastLine() {
    RewardException e = scoreError("path = failing.py, function = raises_on_boom", boom());
    assertEquals(1, e.sample());
    assertTrue(
        e.getMessage()
            .contains(
                "failed on sample 1 (response \"boom\"): python reward"
                    + " failing.py:raises_on_boom raised ZeroDivisionError: division by zero"),
        e.getMessage());
  }

  @Test
  void onErrorZeroScoresTheFailingRowZeroAndCountsIt() {
    try (CompositeReward reward = reward("path = failing.py, function = raises_on_boom", "zero")) {
      RewardResult r = reward.score(boom());
      assertArrayEquals(new double[] {1.0, 0.0, 1.0}, r.total(), 0.0);
      assertEquals(1.0, r.metrics().get("reward/errors"));
    }
  }

  @Test
  void batchedExceptionIsLocalisedToTheRow() {
    RewardException e = scoreError("path = failing.py, function = batch_raises", boom());
    assertEquals(1, e.sample());
    assertTrue(
        e.getMessage()
            .contains(
                "threw ValueError: cannot score 'boom' (python reward failing.py:batch_raises)"),
        e.getMessage());
  }

  @Test
  void nonFiniteScore() {
    RewardException e =
        scoreError("path = failing.py, function = infinite", Batches.responses("a", "inf"));
    assertEquals(1, e.sample());
    assertTrue(
        e.getMessage().contains("infinite returned inf; scores must be finite"), e.getMessage());
  }

  @Test
  void notANumber() {
    RewardException e =
        scoreError("path = failing.py, function = not_a_number", Batches.responses("a"));
    assertTrue(e.getMessage().contains("returned 'high' (str), expected a number"), e.getMessage());
  }

  @Test
  void wrongReturnCountBelongsToTheBatch() {
    RewardException e = scoreError("path = failing.py, function = wrong_count", boom());
    assertEquals(-1, e.sample());
    assertTrue(
        e.getMessage()
            .contains(
                "failed on the batch: python reward failing.py:wrong_count"
                    + " returned 1 scores for 3 rows"),
        e.getMessage());
  }

  @Test
  void callPastTimeoutStopsTheWorker() {
    try (CompositeReward reward = reward("path = failing.py, function = slow, timeout_s = 1")) {
      long t0 = System.nanoTime();
      RewardException e = assertThrows(RewardException.class, () -> reward.score(boom()));
      assertOneLine(e.getMessage());
      assertTrue(e.getMessage().contains("no answer within timeout_s = 1 s"), e.getMessage());
      assertTrue(System.nanoTime() - t0 < 10e9, "not retried row by row");
      assertEquals(-1, python(reward).workerPid());
    }
  }

  @Test
  void workerThatDiesIsOneLineAndRestartsOnTheNextCall() {
    try (CompositeReward reward = reward("path = failing.py, function = exits", "zero")) {
      RewardResult r = reward.score(boom());
      assertEquals(3.0, r.metrics().get("reward/errors"));
    }
    RewardException e = scoreError("path = failing.py, function = exits", boom());
    assertTrue(
        e.getMessage().contains("the Python worker died (it exited with code 7)"), e.getMessage());
  }

  // --- no stray process ---

  @Test
  void theWorkerIsGoneAfterClose() throws Exception {
    CompositeReward reward = reward("path = verl_reward.py");
    assertEquals(-1, python(reward).workerPid(), "the startup check's worker already exited");
    reward.score(input());
    long pid = python(reward).workerPid();
    ProcessHandle handle = ProcessHandle.of(pid).orElseThrow();
    assertTrue(handle.isAlive());
    reward.close();
    handle.onExit().get(5, TimeUnit.SECONDS);
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
  }

  @Test
  void theWorkerExitsWhenItsStdinCloses() throws Exception {
    Path script =
        Path.of(PythonWorker.class.getResource("reward_worker.py").toURI()).toAbsolutePath();
    Process p = new ProcessBuilder("python3", "-I", script.toString()).start();
    p.getOutputStream().close(); // what the OS does when the JVM is killed
    assertTrue(p.waitFor(10, TimeUnit.SECONDS), "worker still running after stdin closed");
    assertEquals(0, p.exitValue());
  }

  @Test
  void theWorkerExitsWhenItsParentDiesEvenWithStdinOpen() throws Exception {
    Path script =
        Path.of(PythonWorker.class.getResource("reward_worker.py").toURI()).toAbsolutePath();
    // sh starts the worker on sh's own stdin (our pipe, which we keep open) and exits at once, as
    // a killed trainer would while its child is busy: only the parent check can end the worker.
    Process sh =
        new ProcessBuilder(
                "sh",
                "-c",
                "exec 3<&0; python3 -I '" + script + "' $$ <&3 >/dev/null 2>&1 & echo $!; sleep 1")
            .start();
    long pid =
        Long.parseLong(
            new String(sh.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                .trim());
    assertTrue(sh.waitFor(10, TimeUnit.SECONDS));
    ProcessHandle worker = ProcessHandle.of(pid).orElse(null);
    if (worker != null) {
      worker.onExit().get(10, TimeUnit.SECONDS);
    }
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    sh.getOutputStream().close();
  }

  @Test
  void detectsBothSignaturesFromParameterNames() {
    for (String entry :
        Arrays.asList("path = verl_reward.py", "path = trl_reward.py, function = length_reward")) {
      try (CompositeReward r = reward(entry)) {
        assertTrue(List.of("verl", "trl").contains(python(r).signature()));
      }
    }
  }
}
