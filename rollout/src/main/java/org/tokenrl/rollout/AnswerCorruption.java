package org.tokenrl.rollout;

import java.util.Random;
import java.util.function.BiFunction;

/**
 * Wrong answers for the bad-tagged SFT data. A candidate is drawn by a task-specific edit and kept
 * only when the task's own verifier rejects it, so a "wrong" answer is never accidentally right (a
 * swap of two equal letters, an arith answer with the same value).
 */
final class AnswerCorruption {
  /** Candidates drawn before giving up; real answers need one or two. */
  static final int MAX_TRIES = 100;

  private AnswerCorruption() {}

  /**
   * Draws candidates with {@code edit} until {@code task} judges one wrong.
   *
   * @throws IllegalStateException after {@link #MAX_TRIES} candidates the verifier accepted
   */
  static String corrupt(
      Task task, Example example, Random random, BiFunction<String, Random, String> edit) {
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
      String candidate = edit.apply(example.answer(), random);
      if (candidate != null && !task.isCorrect(example, candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "task "
            + task.name()
            + ": no wrong answer found for example "
            + example.id()
            + " (prompt \""
            + example.prompt()
            + "\", answer \""
            + example.answer()
            + "\") in "
            + MAX_TRIES
            + " tries; override Task.corruptAnswer for this task");
  }

  /**
   * The generic edit: swap two characters, or replace one by another character of the answer's
   * alphabet (its distinct characters plus the character's class: digits, lower- or upper-case
   * letters). Returns null for an empty answer, which has nothing to edit.
   */
  static String editOrSwap(String answer, Random random) {
    if (answer.isEmpty()) {
      return null;
    }
    char[] chars = answer.toCharArray();
    if (chars.length >= 2 && random.nextBoolean()) {
      int i = random.nextInt(chars.length);
      int j = random.nextInt(chars.length - 1);
      j = j >= i ? j + 1 : j;
      char c = chars[i];
      chars[i] = chars[j];
      chars[j] = c;
      return new String(chars);
    }
    int i = random.nextInt(chars.length);
    String alphabet = alphabet(answer, chars[i]);
    char replacement = alphabet.charAt(random.nextInt(alphabet.length()));
    if (replacement == chars[i]) {
      return null; // an unchanged draw; the caller draws again
    }
    chars[i] = replacement;
    return new String(chars);
  }

  /** The answer's distinct characters plus the class of {@code c}, in a fixed order. */
  private static String alphabet(String answer, char c) {
    StringBuilder out = new StringBuilder();
    answer.chars().distinct().forEach(ch -> out.append((char) ch));
    String range =
        c >= '0' && c <= '9'
            ? "0123456789"
            : c >= 'a' && c <= 'z'
                ? "abcdefghijklmnopqrstuvwxyz"
                : c >= 'A' && c <= 'Z' ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ" : "";
    for (char ch : range.toCharArray()) {
      if (out.indexOf(String.valueOf(ch)) < 0) {
        out.append(ch);
      }
    }
    return out.toString();
  }
}
