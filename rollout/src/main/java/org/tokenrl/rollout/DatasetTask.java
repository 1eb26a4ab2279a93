package org.tokenrl.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigReader;

/**
 * {@code task = dataset}: prompts and answers from the user's own data files, as verl and TRL users
 * keep them: {@code .jsonl}, {@code .json} or {@code .parquet} ({@link DataFile}) in verl's, TRL's
 * or a plain question/answer layout ({@link DataLayout}). A prompt is a string or a list of chat
 * messages (rendered by the model's chat template: needs {@code task.chat = true}); every other
 * column of the row travels with the example ({@link Example#columns()}) to the reward functions.
 *
 * <p>Config keys (under {@code task}): {@code path}; {@code eval_path} (a second file of held-out
 * rows, e.g. verl's test.parquet) or else {@code eval_fraction} (that share of {@code path}'s rows,
 * picked with {@code seed}); {@code layout} ({@code auto}, {@code verl}, {@code trl}, {@code
 * plain}); {@code columns.prompt} and {@code columns.answer} (a column name or a dotted path into
 * an object; "" = the layout's); {@code match} ({@code exact}, {@code contains}, {@code
 * last_number}), as for the JSONL task. Every row is checked when the task is built, and a bad one
 * is one line naming {@code file:line} (or {@code file: row N}), the column and the key that chose
 * it.
 */
public final class DatasetTask implements Task {
  /** {@code key}'s value when set, else {@code current}; both set and different is an error. */
  private static String alias(ConfigReader config, String key, String other, String current) {
    String value = config.has(key) ? config.string(key).strip() : "";
    if (value.isEmpty()) {
      return current;
    }
    if (!current.isEmpty() && !current.equals(value)) {
      throw new ConfigException(
          "config error: '"
              + config.fullKey(key)
              + "' ("
              + value
              + ") and '"
              + config.fullKey(other)
              + "' ("
              + current
              + ") name different columns; set one of them");
    }
    return value;
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> ROLES = List.of("system", "user", "assistant");

  private final String path;
  private final String match;
  private final boolean qualityTags;
  private final DataLayout layout;
  private final List<Example> train;
  private final List<Example> heldOut;
  private final Map<Integer, String> originById = new HashMap<>();

  public DatasetTask(ConfigReader config, Path projectRoot) {
    this.path = config.string("path");
    this.match = config.has("match") ? config.string("match") : "exact";
    if (!List.of("exact", "contains", "last_number").contains(match)) {
      throw new ConfigException(
          "config error: '"
              + config.fullKey("match")
              + "' must be exact, contains or last_number, got '"
              + match
              + "'");
    }
    this.qualityTags = config.bool("quality_tags", false);
    String layoutName = config.has("layout") ? config.string("layout") : "auto";
    if (!DataLayout.NAMES.contains(layoutName)) {
      throw new ConfigException(
          "config error: '"
              + config.fullKey("layout")
              + "' must be auto, verl, trl or plain, got '"
              + layoutName
              + "'");
    }
    String promptColumn = "";
    String answerColumn = "";
    if (config.has("columns")) {
      ConfigReader columns = config.block("columns");
      promptColumn = columns.has("prompt") ? columns.string("prompt").strip() : "";
      answerColumn = columns.has("answer") ? columns.string("answer").strip() : "";
    }
    // verl's names for the same two settings (data.prompt_key / data.answer_key there).
    promptColumn = alias(config, "prompt_key", "columns.prompt", promptColumn);
    answerColumn = alias(config, "answer_key", "columns.answer", answerColumn);
    List<DataFile.Row> rows = DataFile.read(file(config, "path", projectRoot), path);
    this.layout =
        DataLayout.of(
            layoutName, promptColumn, answerColumn, rows.get(0).object(), rows.get(0).where());
    List<Parsed> trainRows = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      trainRows.add(parse(rows.get(i), i));
    }
    List<Parsed> heldOutRows = new ArrayList<>();
    if (config.has("eval_path")) {
      String shown = config.string("eval_path");
      List<DataFile.Row> evalRows = DataFile.read(file(config, "eval_path", projectRoot), shown);
      for (int i = 0; i < evalRows.size(); i++) {
        heldOutRows.add(parse(evalRows.get(i), i));
      }
    } else if (config.has("eval_fraction")) {
      double fraction = config.number("eval_fraction", 0, 1);
      List<Parsed> shuffled = new ArrayList<>(trainRows);
      Collections.shuffle(shuffled, new Random(config.integer("seed")));
      int evalCount = (int) Math.round(fraction * trainRows.size());
      heldOutRows.addAll(shuffled.subList(0, evalCount));
      trainRows = new ArrayList<>(shuffled.subList(evalCount, shuffled.size()));
      // Keep file order within each split: easier to read in logs and diffs.
      heldOutRows.sort((a, b) -> Integer.compare(a.index(), b.index()));
      trainRows.sort((a, b) -> Integer.compare(a.index(), b.index()));
    } else {
      throw new ConfigException(
          "config error: set '"
              + config.fullKey("eval_path")
              + "' (a held-out file) or '"
              + config.fullKey("eval_fraction")
              + "' (e.g. 0.1)");
    }
    Set<String> heldOutPrompts = new HashSet<>();
    heldOutRows.forEach(row -> heldOutPrompts.add(row.key()));
    trainRows.removeIf(row -> heldOutPrompts.contains(row.key()));
    if (trainRows.isEmpty()) {
      throw new ConfigException(
          "config error: no training rows left in "
              + path
              + " after holding out "
              + heldOutRows.size()
              + " (lower task.eval_fraction or use a separate task.eval_path)");
    }
    this.train = examples(trainRows, 0);
    this.heldOut = examples(heldOutRows, train.size());
  }

  private List<Example> examples(List<Parsed> rows, int firstId) {
    List<Example> out = new ArrayList<>();
    for (Parsed row : rows) {
      int id = firstId + out.size();
      originById.put(id, row.where());
      out.add(new Example(id, row.prompt(), row.answer(), row.messages(), row.columns()));
    }
    return List.copyOf(out);
  }

  /** A checked row: what the example is built from. */
  private record Parsed(
      int index,
      String where,
      String prompt,
      String answer,
      List<Example.Turn> messages,
      Map<String, Object> columns) {
    /** What makes two rows the same question: the prompt, or the whole conversation. */
    String key() {
      return messages.isEmpty() ? prompt : messages.toString();
    }
  }

  private Parsed parse(DataFile.Row row, int index) {
    String where = row.where();
    JsonNode promptNode = column(row, layout.prompt(), "task.columns.prompt");
    String prompt;
    List<Example.Turn> messages = List.of();
    String fromConversation = null; // a final assistant turn: the reference completion
    if (promptNode.isTextual()) {
      prompt = text(where, layout.prompt(), promptNode.textValue());
    } else if (promptNode.isArray()) {
      List<Example.Turn> turns = turns(where, layout.prompt(), promptNode);
      if (turns.size() > 1 && turns.get(turns.size() - 1).role().equals("assistant")) {
        // A TRL "messages" row: the conversation so far, then the answer to learn from.
        fromConversation = turns.get(turns.size() - 1).content();
        turns = turns.subList(0, turns.size() - 1);
      }
      Example.Turn last = turns.get(turns.size() - 1);
      if (!last.role().equals("user")) {
        throw new ConfigException(
            where
                + ": column \""
                + layout.prompt()
                + "\": the last message must be the user turn the model answers, got "
                + last.role());
      }
      messages = List.copyOf(turns);
      prompt = last.content();
    } else {
      throw new ConfigException(
          where
              + ": column \""
              + layout.prompt()
              + "\" must be a string or a list of {role, content} messages, got "
              + kind(promptNode)
              + " (task.columns.prompt names the prompt column)");
    }
    String answer;
    if (layout.answer() == null) {
      answer = fromConversation == null ? "" : fromConversation;
    } else {
      answer = answer(where, column(row, layout.answer(), "task.columns.answer"));
    }
    Map<String, Object> columns = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = row.object().fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!layout.passOver().contains(e.getKey())) {
        columns.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
      }
    }
    return new Parsed(index, where, prompt, answer, messages, columns);
  }

  /** The value at {@code path}, checked present and not null. */
  private static JsonNode column(DataFile.Row row, String path, String key) {
    JsonNode node = DataLayout.get(row.object(), path);
    if (node == null || node.isNull()) {
      throw new ConfigException(
          row.where()
              + ": "
              + (node == null ? "no column \"" + path + "\"" : "column \"" + path + "\" is null")
              + " ("
              + key
              + " or task.layout chooses it; the row has "
              + String.join(", ", DataLayout.columns(row.object()))
              + ")");
    }
    return node;
  }

  /** A reference answer as text: strings as they are, numbers as written, others as JSON. */
  private String answer(String where, JsonNode node) {
    if (node.isTextual()) {
      return text(where, layout.answer(), node.textValue());
    }
    if (node.isArray() && !node.isEmpty() && node.get(node.size() - 1).has("content")) {
      // TRL's conversational completion: [{"role": "assistant", "content": ...}]
      JsonNode content = node.get(node.size() - 1).get("content");
      if (content.isTextual()) {
        return text(where, layout.answer(), content.textValue());
      }
    }
    return text(where, layout.answer(), node.isValueNode() ? node.asText() : node.toString());
  }

  private static List<Example.Turn> turns(String where, String column, JsonNode list) {
    if (list.isEmpty()) {
      throw new ConfigException(where + ": column \"" + column + "\" is an empty message list");
    }
    List<Example.Turn> turns = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode m = list.get(i);
      String role = m.path("role").asText("");
      if (!ROLES.contains(role) || !m.path("content").isTextual()) {
        throw new ConfigException(
            where
                + ": column \""
                + column
                + "\" message "
                + i
                + ": every message needs \"role\" (system, user or assistant) and a string"
                + " \"content\", got "
                + shorten(m.toString()));
      }
      turns.add(new Example.Turn(role, text(where, column, m.get("content").textValue())));
    }
    return turns;
  }

  private static String text(String where, String column, String text) {
    int at = Example.firstControl(text);
    if (at >= 0) {
      throw new ConfigException(
          String.format(
              "%s: column \"%s\" contains control character U+%04X at position %d",
              where, column, (int) text.charAt(at), at));
    }
    return text;
  }

  private static String kind(JsonNode node) {
    return node.getNodeType().toString().toLowerCase(Locale.ROOT) + " " + shorten(node.toString());
  }

  private static String shorten(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  private static Path file(ConfigReader config, String key, Path projectRoot) {
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
    return file;
  }

  @Override
  public String name() {
    return "dataset";
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
      default -> response.strip().equals(example.answer().strip());
    };
  }

  @Override
  public String origin(Example example) {
    return originById.get(example.id());
  }

  @Override
  public String description() {
    return "dataset: "
        + train.size()
        + " train and "
        + heldOut.size()
        + " held-out rows from "
        + path
        + " in the "
        + layout.describe()
        + ", answers judged by "
        + match.replace('_', ' ')
        + " match";
  }

  @Override
  public boolean qualityTags() {
    return qualityTags;
  }
}
