package org.tokenrl.rollout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigReader;

/**
 * Prompts and answers from a JSON Lines file, one {@code {"prompt": ..., "answer": ...}} or {@code
 * {"messages": [{"role": ..., "content": ...}, ...], "answer": ...}} object per line (other fields
 * are ignored, blank lines skipped). A conversation ends in the user turn the model answers and
 * needs {@code task.chat = true}. The verifier ({@code match}): {@code exact} (default; equal after
 * trimming), {@code contains} (the answer appears in the response) or {@code last_number} (the last
 * number written in the response equals the answer's, as arith judges).
 *
 * <p>Config keys: {@code path} (relative paths resolve against the project root), and either {@code
 * eval_fraction} (that share of the lines, picked with {@code seed}, is held out) or {@code
 * eval_path} (a second file of held-out examples); optional {@code quality_tags}. A train line
 * whose prompt also appears among the held-out examples is dropped, so the two never share a
 * prompt.
 */
public final class JsonlTask implements Task {
  private final String path;
  private final boolean qualityTags;
  private final List<Example> train;
  private final List<Example> heldOut;
  private final Map<Integer, String> originById = new HashMap<>();
  private final String match;

  public JsonlTask(ConfigReader config, Path projectRoot) {
    this.path = config.string("path");
    this.match = config.has("match") ? config.string("match") : "exact";
    if (!List.of("exact", "contains", "last_number").contains(match)) {
      throw new ConfigException(
          "config error: '"
              + config.fullKey("match")
              + "' must be exact, contains or last_number,"
              + " got '"
              + match
              + "'");
    }
    this.qualityTags = config.bool("quality_tags", false);
    List<Row> rows = read(config, "path", projectRoot);
    List<Row> trainRows = new ArrayList<>();
    List<Row> heldOutRows = new ArrayList<>();
    boolean hasFraction = config.has("eval_fraction");
    boolean hasEvalPath = config.has("eval_path");
    if (hasFraction == hasEvalPath) {
      throw new ConfigException(
          "config error: set exactly one of '"
              + config.fullKey("eval_fraction")
              + "' (e.g. 0.1)"
              + " and '"
              + config.fullKey("eval_path")
              + "' for the held-out examples"
              + (hasFraction ? ", not both" : ""));
    }
    if (hasEvalPath) {
      trainRows.addAll(rows);
      heldOutRows.addAll(read(config, "eval_path", projectRoot));
    } else {
      double fraction = config.number("eval_fraction", 0, 1);
      List<Row> shuffled = new ArrayList<>(rows);
      Collections.shuffle(shuffled, new Random(config.integer("seed")));
      int evalCount = (int) Math.round(fraction * rows.size());
      heldOutRows.addAll(shuffled.subList(0, evalCount));
      trainRows.addAll(shuffled.subList(evalCount, shuffled.size()));
      // Keep file order within each split: easier to read in logs and diffs.
      heldOutRows.sort((a, b) -> Integer.compare(a.line(), b.line()));
      trainRows.sort((a, b) -> Integer.compare(a.line(), b.line()));
    }
    Set<String> heldOutPrompts = new HashSet<>();
    heldOutRows.forEach(row -> heldOutPrompts.add(row.key()));
    trainRows.removeIf(row -> heldOutPrompts.contains(row.key()));
    if (trainRows.isEmpty()) {
      throw new ConfigException(
          "config error: no training examples left in "
              + path
              + " after holding out "
              + heldOutRows.size()
              + " (lower eval_fraction or use a separate eval_path)");
    }
    List<Example> trainExamples = new ArrayList<>();
    for (Row row : trainRows) {
      originById.put(trainExamples.size(), row.where());
      trainExamples.add(
          new Example(trainExamples.size(), row.prompt(), row.answer(), row.messages()));
    }
    List<Example> heldOutExamples = new ArrayList<>();
    for (Row row : heldOutRows) {
      originById.put(trainExamples.size() + heldOutExamples.size(), row.where());
      heldOutExamples.add(
          new Example(
              trainExamples.size() + heldOutExamples.size(),
              row.prompt(),
              row.answer(),
              row.messages()));
    }
    this.train = List.copyOf(trainExamples);
    this.heldOut = List.copyOf(heldOutExamples);
  }

  private record Row(
      int line, String where, String prompt, String answer, List<Example.Turn> messages) {
    /** What makes two rows the same question: the prompt, or the whole conversation. */
    String key() {
      return messages.isEmpty() ? prompt : messages.toString();
    }
  }

  private static List<Row> read(ConfigReader config, String key, Path projectRoot) {
    String shown = config.string(key);
    Path file = projectRoot.resolve(shown);
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(
          "config error: '"
              + config.fullKey(key)
              + "' = "
              + shown
              + " not found (looked for "
              + file.toAbsolutePath()
              + "; relative paths resolve against the project root)");
    }
    List<Row> rows = new ArrayList<>();
    String shape = "{\"prompt\": ..., \"answer\": ...} or {\"messages\": [...], \"answer\": ...}";
    for (JsonLines.Line line : JsonLines.read(file, shown, shape)) {
      if (line.object().has("messages")) {
        List<Example.Turn> turns = turns(line);
        rows.add(
            new Row(
                line.number(),
                line.where(),
                turns.get(turns.size() - 1).content(),
                line.text("answer"),
                turns));
      } else {
        rows.add(
            new Row(
                line.number(), line.where(), line.text("prompt"), line.text("answer"), List.of()));
      }
    }
    return rows;
  }

  /** A line's "messages": role/content objects, ending in the user turn to answer. */
  private static List<Example.Turn> turns(JsonLines.Line line) {
    com.fasterxml.jackson.databind.JsonNode messages = line.object().get("messages");
    if (!messages.isArray() || messages.isEmpty()) {
      throw new ConfigException(line.where() + ": \"messages\" must be a non-empty array");
    }
    List<Example.Turn> turns = new ArrayList<>();
    for (com.fasterxml.jackson.databind.JsonNode m : messages) {
      String role = m.path("role").asText("");
      if (!List.of("system", "user", "assistant").contains(role)
          || !m.path("content").isTextual()) {
        throw new ConfigException(
            line.where()
                + ": every message needs \"role\" (system, user or assistant) and a"
                + " string \"content\", got "
                + m);
      }
      String content = m.get("content").textValue();
      if (Example.firstNonPrintable(content) >= 0) {
        throw new ConfigException(
            line.where() + ": " + Example.describeNonPrintable(role + " message", content));
      }
      turns.add(new Example.Turn(role, content));
    }
    if (!turns.get(turns.size() - 1).role().equals("user")) {
      throw new ConfigException(
          line.where()
              + ": the last message must be the user turn the model answers, got "
              + turns.get(turns.size() - 1).role());
    }
    return turns;
  }

  @Override
  public String name() {
    return "jsonl";
  }

  @Override
  public List<Example> train() {
    return train;
  }

  @Override
  public List<Example> heldOut() {
    return heldOut;
  }

  @Override
  public boolean isCorrect(Example example, String response) {
    return switch (match) {
      case "contains" -> response.contains(example.answer().strip());
      case "last_number" -> LastNumber.same(example.answer(), response);
      default -> response.strip().equals(example.answer());
    };
  }

  /**
   * last_number: the number's value in plain form (11.0 and 11 vote together; null without a
   * number); contains and exact: the stripped response (a response that contains the answer among
   * other text votes with identical responses only).
   */
  @Override
  public String answerOf(Example example, String response) {
    if (match.equals("last_number")) {
      java.math.BigDecimal v = LastNumber.of(response);
      return v == null ? null : v.stripTrailingZeros().toPlainString();
    }
    return response.strip();
  }

  @Override
  public String origin(Example example) {
    return originById.get(example.id());
  }

  @Override
  public String description() {
    return "jsonl: "
        + train.size()
        + " train and "
        + heldOut.size()
        + " held-out examples from "
        + path
        + ", answers judged by "
        + match.replace('_', ' ')
        + " match";
  }

  @Override
  public boolean qualityTags() {
    return qualityTags;
  }
}
