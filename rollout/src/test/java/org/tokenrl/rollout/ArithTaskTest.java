package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.ConfigException;

class ArithTaskTest {
  private static final Pattern PROMPT = Pattern.compile("(\\d+)([-+*])(\\d+)=");

  static Task arith(String settings) {
    String block =
        "name = arith, seed = 7, train_size = 300, eval_size = 100,"
            + " ops = [\"+\", \"-\", \"*\"], digits = 2, "
            + settings;
    return Tasks.create(ConfigFactory.parseString(block), Path.of("."));
  }

  /** Canonical form: a+b and b+a are the same problem. */
  private static String key(String prompt) {
    Matcher m = matcher(prompt);
    long a = Long.parseLong(m.group(1));
    long b = Long.parseLong(m.group(3));
    String op = m.group(2);
    return op.equals("-") ? prompt : Math.min(a, b) + op + Math.max(a, b);
  }

  private static Matcher matcher(String prompt) {
    Matcher m = PROMPT.matcher(prompt);
    assertTrue(m.matches(), prompt);
    return m;
  }

  @Test
  void answersAreTheArithmeticResult() {
    Task task = arith("");
    boolean sawNegative = false;
    for (List<Example> split : List.of(task.train(), task.heldOut())) {
      for (Example example : split) {
        Matcher m = matcher(example.prompt());
        long a = Long.parseLong(m.group(1));
        long b = Long.parseLong(m.group(3));
        assertTrue(a <= 99 && b <= 99, example.prompt());
        long expected = m.group(2).equals("+") ? a + b : m.group(2).equals("-") ? a - b : a * b;
        assertEquals(Long.toString(expected), example.answer(), example.prompt());
        sawNegative |= expected < 0;
      }
    }
    assertTrue(sawNegative, "subtraction should produce some negative answers");
  }

  @Test
  void sizesAndIdsAreAsConfigured() {
    Task task = arith("");
    assertEquals(300, task.train().size());
    assertEquals(100, task.heldOut().size());
    Set<Integer> ids = new HashSet<>();
    task.train().forEach(e -> ids.add(e.id()));
    task.heldOut().forEach(e -> ids.add(e.id()));
    assertEquals(400, ids.size(), "ids are unique across splits");
  }

  @Test
  void sameSeedSameExamplesOtherSeedOthers() {
    assertEquals(arith("").train(), arith("").train());
    assertEquals(arith("").heldOut(), arith("").heldOut());
    assertNotEquals(arith("").train(), arith("seed = 8").train());
  }

  @Test
  void heldOutProblemsNeverAppearInTrainInEitherOrder() {
    // A small space (55 distinct sums of one-digit numbers) makes collisions likely.
    Task task = arith("digits = 1, ops = [\"+\"], train_size = 40, eval_size = 15");
    Set<String> heldOut = new HashSet<>();
    task.heldOut().forEach(e -> heldOut.add(key(e.prompt())));
    assertEquals(15, heldOut.size());
    Set<String> train = new HashSet<>();
    for (Example example : task.train()) {
      assertFalse(heldOut.contains(key(example.prompt())), example.prompt());
      assertTrue(train.add(key(example.prompt())), "duplicate " + example.prompt());
    }
  }

  @Test
  void heldOutSetDoesNotDependOnTrainSize() {
    assertEquals(
        arith("train_size = 50").heldOut().stream().map(Example::prompt).toList(),
        arith("train_size = 500").heldOut().stream().map(Example::prompt).toList());
  }

  @Test
  void opsAndDigitRangeAreRespected() {
    Task task = arith("ops = [\"*\"], digits = 3, min_digits = 3");
    for (Example example : task.train()) {
      Matcher m = matcher(example.prompt());
      assertEquals("*", m.group(2));
      assertEquals(3, m.group(1).length(), example.prompt());
      assertEquals(3, m.group(3).length(), example.prompt());
    }
  }

  @Test
  void verifierIsExactMatchAfterTrimming() {
    Task task = arith("");
    Example example = task.train().get(0);
    assertTrue(task.isCorrect(example, example.answer()));
    assertTrue(task.isCorrect(example, "  " + example.answer() + "\n"));
    assertFalse(task.isCorrect(example, example.answer() + "0"));
    assertFalse(task.isCorrect(example, ""));
  }

  @Test
  void askingForMoreProblemsThanExistIsAConfigError() {
    String message =
        assertThrows(
                ConfigException.class,
                () -> arith("digits = 1, ops = [\"+\"], train_size = 50, eval_size = 6"))
            .getMessage();
    assertEquals(
        "config error: task.train_size + task.eval_size = 56 but these settings allow"
            + " only 55 distinct problems; lower the sizes or widen task.digits or task.ops",
        message);
    // The whole space can be asked for: every distinct sum of two digits appears once.
    Task whole = arith("digits = 1, ops = [\"+\"], train_size = 50, eval_size = 5");
    Set<String> keys = new HashSet<>();
    whole.train().forEach(e -> keys.add(key(e.prompt())));
    whole.heldOut().forEach(e -> keys.add(key(e.prompt())));
    assertEquals(55, keys.size());
  }

  @Test
  void badSettingsNameTheKey() {
    assertTrue(
        assertThrows(ConfigException.class, () -> arith("ops = [\"/\"]"))
            .getMessage()
            .startsWith("config error: 'task.ops' must be a non-empty subset of"));
    assertTrue(
        assertThrows(ConfigException.class, () -> arith("digits = 12"))
            .getMessage()
            .startsWith("config error: 'task.digits' must be an integer in [1, 9], got 12"));
  }
}
