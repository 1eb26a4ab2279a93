package org.tokenrl.rollout;

import java.util.List;

/**
 * One prompt with its reference answer. Both use only printable ASCII, the alphabet of the
 * character tokenizer; {@code id} is unique within a task (train and held-out together).
 *
 * @param messages a chat conversation the model answers (a JSONL task's {@code "messages"}), ending
 *     in a user turn whose text is {@code prompt}; empty for a plain prompt
 */
public record Example(int id, String prompt, String answer, List<Turn> messages) {
  /** One chat turn: role {@code system}, {@code user} or {@code assistant}. */
  public record Turn(String role, String content) {}

  public Example(int id, String prompt, String answer) {
    this(id, prompt, answer, List.of());
  }

  public Example {
    requirePrintableAscii("prompt", prompt);
    requirePrintableAscii("answer", answer);
    messages = List.copyOf(messages);
    for (Turn t : messages) {
      requirePrintableAscii(t.role() + " message", t.content());
    }
  }

  /** The first character of {@code text} outside printable ASCII (' '..'~'), or -1. */
  static int firstNonPrintable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < ' ' || c > '~') {
        return i;
      }
    }
    return -1;
  }

  static String describeNonPrintable(String field, String text) {
    char c = text.charAt(firstNonPrintable(text));
    return "\""
        + field
        + "\" contains character U+"
        + String.format("%04X", (int) c)
        + " at position "
        + firstNonPrintable(text)
        + "; only printable ASCII (space to ~) is in the tokenizer alphabet";
  }

  private static void requirePrintableAscii(String field, String text) {
    if (text == null) {
      throw new IllegalArgumentException("example " + field + " is null");
    }
    if (firstNonPrintable(text) >= 0) {
      throw new IllegalArgumentException(describeNonPrintable(field, text));
    }
  }
}
