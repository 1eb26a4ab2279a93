package org.tokenrl.rollout;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One prompt with its reference answer; {@code id} is unique within a task (train and held-out
 * together). Generated and JSONL tasks use only printable ASCII, the alphabet of the character
 * tokenizer; a {@link DatasetTask}'s text may hold any Unicode and line breaks (for a model with
 * its own tokenizer), but never other control characters.
 *
 * @param messages a chat conversation the model answers (a JSONL task's {@code "messages"}), ending
 *     in a user turn whose text is {@code prompt}; empty for a plain prompt
 * @param columns the data row's other columns, by name, as plain JSON values ({@code String},
 *     {@code Number}, {@code Boolean}, {@code List}, {@code Map} or null): what reaches reward
 *     functions as a dataset's extra columns; empty for generated tasks. Unmodifiable.
 */
public record Example(
    int id, String prompt, String answer, List<Turn> messages, Map<String, Object> columns) {
  /** One chat turn: role {@code system}, {@code user} or {@code assistant}. */
  public record Turn(String role, String content) {}

  public Example(int id, String prompt, String answer) {
    this(id, prompt, answer, List.of());
  }

  public Example(int id, String prompt, String answer, List<Turn> messages) {
    this(id, prompt, answer, messages, Map.of());
  }

  public Example {
    requireText("prompt", prompt);
    requireText("answer", answer);
    messages = List.copyOf(messages);
    for (Turn t : messages) {
      requireText(t.role() + " message", t.content());
    }
    // A copy that keeps nulls (a column's missing value), unlike Map.copyOf.
    columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
  }

  /**
   * What reward functions see of this example besides prompt and answer: its {@link #columns()},
   * and for a conversation its messages as column {@code prompt} (a list of {@code {role, content}}
   * maps, the form TRL hands conversational prompts to reward functions in).
   */
  public Map<String, Object> rewardColumns() {
    if (messages.isEmpty()) {
      return columns;
    }
    Map<String, Object> out = new LinkedHashMap<>(columns);
    List<Map<String, String>> conversation = new java.util.ArrayList<>();
    for (Turn t : messages) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("role", t.role());
      m.put("content", t.content());
      conversation.add(m);
    }
    out.put("prompt", conversation);
    return out;
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

  /** The first control character of {@code text} other than tab and line breaks, or -1. */
  static int firstControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < ' ' && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        return i;
      }
    }
    return -1;
  }

  private static void requireText(String field, String text) {
    if (text == null) {
      throw new IllegalArgumentException("example " + field + " is null");
    }
    int at = firstControl(text);
    if (at >= 0) {
      throw new IllegalArgumentException(
          "\""
              + field
              + "\" contains control character U+"
              + String.format("%04X", (int) text.charAt(at))
              + " at position "
              + at);
    }
  }
}
