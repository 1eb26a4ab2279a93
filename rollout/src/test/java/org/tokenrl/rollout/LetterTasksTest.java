package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LetterTasksTest {
  static Task task(String name, String settings) {
    String block =
        "name = "
            + name
            + ", seed = 3, train_size = 200, eval_size = 50,"
            + " min_len = 2, max_len = 6, "
            + settings;
    return Tasks.create(ConfigFactory.parseString(block), Path.of("."));
  }

  private static String body(Example example) {
    assertTrue(example.prompt().endsWith(">"), example.prompt());
    String text = example.prompt().substring(0, example.prompt().length() - 1);
    assertTrue(text.matches("[a-z]{2,6}"), text);
    return text;
  }

  @Test
  void reverseAnswersAreReversedPrompts() {
    Task task = task("reverse", "");
    for (Example example : task.train()) {
      String text = body(example);
      StringBuilder reversed = new StringBuilder();
      for (int i = text.length() - 1; i >= 0; i--) {
        reversed.append(text.charAt(i));
      }
      assertEquals(reversed.toString(), example.answer());
    }
  }

  @Test
  void sortAnswersAreSortedPrompts() {
    Task task = task("sort", "");
    for (Example example : task.heldOut()) {
      String text = body(example);
      String answer = example.answer();
      assertEquals(text.length(), answer.length());
      for (int i = 1; i < answer.length(); i++) {
        assertTrue(answer.charAt(i - 1) <= answer.charAt(i), answer);
      }
      for (char c = 'a'; c <= 'z'; c++) {
        final char letter = c;
        assertEquals(
            text.chars().filter(x -> x == letter).count(),
            answer.chars().filter(x -> x == letter).count());
      }
    }
  }

  @Test
  void splitsAreDisjointAndDeterministic() {
    for (String name : new String[] {"reverse", "sort"}) {
      // One or two letters: 702 strings, 377 multisets, so repeats are likely.
      Task task = task(name, "min_len = 1, max_len = 2, train_size = 250, eval_size = 100");
      Set<String> heldOut = new HashSet<>();
      // For sort, strings with the same letters are the same problem: compare answers.
      task.heldOut().forEach(e -> heldOut.add(name.equals("sort") ? e.answer() : e.prompt()));
      assertEquals(100, heldOut.size());
      for (Example example : task.train()) {
        assertFalse(heldOut.contains(name.equals("sort") ? example.answer() : example.prompt()));
      }
      Task again = task(name, "min_len = 1, max_len = 2, train_size = 250, eval_size = 100");
      assertEquals(task.train(), again.train());
      assertEquals(task.heldOut(), again.heldOut());
      assertNotEquals(task.train(), task(name, "seed = 4").train());
    }
  }

  @Test
  void verifierTrimsAndComparesExactly() {
    Task task = task("reverse", "");
    Example example = task.train().get(0);
    assertTrue(task.isCorrect(example, " " + example.answer() + " "));
    assertFalse(task.isCorrect(example, example.answer().toUpperCase()));
    assertFalse(task.isCorrect(example, example.answer() + example.answer()));
  }
}
