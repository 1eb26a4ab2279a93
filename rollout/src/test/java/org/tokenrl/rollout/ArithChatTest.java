package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** task.chat = true: natural-language prompts; the last integer of the answer is what counts. */
class ArithChatTest {
  private static Task task(boolean chat) {
    return Tasks.create(
        ConfigFactory.parseString(
            "name = arith, seed = 3, train_size = 20, eval_size = 10, ops = [\"+\"], digits = 2,"
                + " min_digits = 2, quality_tags = false, chat = "
                + chat),
        Path.of("."));
  }

  @Test
  void chatPromptsAskInWordsAndTheLastIntegerDecides() {
    Example ex = task(true).heldOut().get(0);
    assertTrue(ex.prompt().matches("What is \\d\\d \\+ \\d\\d\\?"), ex.prompt());
    String[] ab = ex.prompt().replaceAll("[^0-9 ]", "").trim().split("\\s+");
    long sum = Long.parseLong(ab[0]) + Long.parseLong(ab[1]);
    assertEquals(Long.toString(sum), ex.answer());
    Task chat = task(true);
    assertTrue(chat.isCorrect(ex, ab[0] + " + " + ab[1] + " = " + sum + "."));
    assertTrue(chat.isCorrect(ex, "The answer is " + sum));
    assertFalse(chat.isCorrect(ex, sum + " is wrong, it is " + (sum + 1)));
    assertFalse(chat.isCorrect(ex, "To add " + ab[0] + " and " + ab[1] + ", we"));
    assertFalse(chat.isCorrect(ex, "-" + sum));
    // maj@n votes on the integer the verifier reads: differently worded answers vote together
    assertEquals(Long.toString(sum), chat.answerOf(ex, "The answer is " + sum + "."));
    assertEquals(Long.toString(sum), chat.answerOf(ex, ab[0] + " + " + ab[1] + " = " + sum));
    assertEquals(null, chat.answerOf(ex, "I do not know"));
  }

  @Test
  void plainPromptsStayExactMatch() {
    Task plain = task(false);
    Example ex = plain.heldOut().get(0);
    assertTrue(ex.prompt().endsWith("="), ex.prompt());
    assertTrue(plain.isCorrect(ex, ex.answer()));
    assertFalse(plain.isCorrect(ex, "The answer is " + ex.answer()));
    assertEquals(ex.answer(), plain.answerOf(ex, " " + ex.answer() + "\n"));
  }
}
