package org.tokenrl.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tokenrl.core.ConfigException;

/**
 * Where a data row keeps its prompt and its reference answer, in the layouts RL users already have:
 *
 * <ul>
 *   <li>{@code verl}: {@code prompt} is a list of {@code {role, content}} messages, the answer is
 *       {@code reward_model.ground_truth}, next to {@code data_source}, {@code ability} and an
 *       {@code extra_info} object (what verl's data preprocessing scripts write);
 *   <li>{@code trl}: {@code prompt} is a string or a list of messages ("conversational"), the
 *       answer the first of {@code solution}, {@code answer}, {@code ground_truth} and {@code
 *       completion} the row has (TRL's GRPO datasets; none at all is allowed for rewards that need
 *       no reference); a {@code messages} column stands in for a missing {@code prompt};
 *   <li>{@code plain}: {@code question} (or {@code problem}) and {@code answer} (or {@code
 *       solution}), as GSM8K and MATH ship.
 * </ul>
 *
 * {@code auto} picks verl when the first row has {@code prompt} and {@code reward_model}, trl when
 * it has {@code prompt} or {@code messages}, plain when it has {@code question} or {@code problem}.
 * A column mapping ({@code task.columns.prompt}, {@code task.columns.answer}; a dotted path reads
 * inside an object) replaces the layout's choice.
 *
 * @param prompt the prompt column, or a dotted path
 * @param answer the answer column or dotted path; null when the data has no reference answers
 * @param passOver columns that do not reach reward functions (TRL passes neither {@code prompt} nor
 *     {@code completion} on as keyword arguments)
 */
record DataLayout(String name, String prompt, String answer, List<String> passOver) {
  static final List<String> NAMES = List.of("auto", "verl", "trl", "plain");
  private static final List<String> TRL_ANSWERS =
      List.of("solution", "answer", "ground_truth", "completion");
  private static final List<String> PLAIN_PROMPTS = List.of("question", "problem");
  private static final List<String> PLAIN_ANSWERS = List.of("answer", "solution");

  /**
   * The layout of a file whose first row is {@code first}.
   *
   * @param layout {@code auto} or a layout name (checked by the caller)
   * @param promptColumn {@code task.columns.prompt}, "" for the layout's
   * @param answerColumn {@code task.columns.answer}, "" for the layout's
   * @param where the first row's {@code file:line}, for messages
   */
  static DataLayout of(
      String layout, String promptColumn, String answerColumn, ObjectNode first, String where) {
    String name = layout.equals("auto") ? detect(first, promptColumn, where) : layout;
    String prompt =
        !promptColumn.isEmpty()
            ? promptColumn
            : switch (name) {
              case "plain" -> firstPresent(first, PLAIN_PROMPTS, "question");
              case "trl" -> !first.has("prompt") && first.has("messages") ? "messages" : "prompt";
              default -> "prompt";
            };
    String answer =
        !answerColumn.isEmpty()
            ? answerColumn
            : switch (name) {
              case "verl" -> "reward_model.ground_truth";
              case "plain" -> firstPresent(first, PLAIN_ANSWERS, "answer");
              default -> firstPresent(first, TRL_ANSWERS, null);
            };
    List<String> passOver = new ArrayList<>(List.of(top(prompt)));
    if (name.equals("trl") && !passOver.contains("completion")) {
      passOver.add("completion");
    }
    return new DataLayout(name, prompt, answer, List.copyOf(passOver));
  }

  private static String detect(ObjectNode first, String promptColumn, String where) {
    boolean prompt = first.has("prompt") || !promptColumn.isEmpty();
    if (prompt && first.has("reward_model")) {
      return "verl";
    }
    if (prompt || first.has("messages")) {
      return "trl";
    }
    if (PLAIN_PROMPTS.stream().anyMatch(first::has)) {
      return "plain";
    }
    throw new ConfigException(
        where
            + ": cannot tell the data layout from the columns ("
            + String.join(", ", columns(first))
            + "): expected verl's prompt and reward_model, TRL's prompt (or messages), or"
            + " question and answer; name the columns with task.columns.prompt and"
            + " task.columns.answer");
  }

  private static String firstPresent(ObjectNode row, List<String> names, String fallback) {
    return names.stream().filter(row::has).findFirst().orElse(fallback);
  }

  /** The top-level column a (dotted) path starts in. */
  static String top(String path) {
    int dot = path.indexOf('.');
    return dot < 0 ? path : path.substring(0, dot);
  }

  /** The value at {@code path} (a column, or a dotted path into objects), or null when missing. */
  static JsonNode get(ObjectNode row, String path) {
    if (row.has(path)) {
      return row.get(path); // a column whose name itself holds a dot
    }
    JsonNode node = row;
    for (String part : path.split("\\.")) {
      node = node.isObject() ? node.get(part) : null;
      if (node == null) {
        return null;
      }
    }
    return node;
  }

  /** The row's column names, for messages. */
  static List<String> columns(ObjectNode row) {
    List<String> names = new ArrayList<>();
    row.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** One line for the task's description. */
  String describe() {
    return name.toLowerCase(Locale.ROOT)
        + " layout (prompt: "
        + prompt
        + ", answer: "
        + (answer == null ? "none" : answer)
        + ")";
  }
}
