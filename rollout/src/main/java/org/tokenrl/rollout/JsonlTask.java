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
 * Prompts and answers from a JSON Lines file, one {@code {"prompt": ..., "answer": ...}} object
 * per line (other fields are ignored, blank lines skipped). The verifier is exact match after
 * trimming.
 *
 * <p>Config keys: {@code path} (relative paths resolve against the project root), and either
 * {@code eval_fraction} (that share of the lines, picked with {@code seed}, is held out) or {@code
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

  public JsonlTask(ConfigReader config, Path projectRoot) {
    this.path = config.string("path");
    this.qualityTags = config.bool("quality_tags", false);
    List<Row> rows = read(config, "path", projectRoot);
    List<Row> trainRows = new ArrayList<>();
    List<Row> heldOutRows = new ArrayList<>();
    boolean hasFraction = config.has("eval_fraction");
    boolean hasEvalPath = config.has("eval_path");
    if (hasFraction == hasEvalPath) {
      throw new ConfigException(
          "config error: set exactly one of '" + config.fullKey("eval_fraction") + "' (e.g. 0.1)"
              + " and '" + config.fullKey("eval_path") + "' for the held-out examples"
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
    heldOutRows.forEach(row -> heldOutPrompts.add(row.prompt()));
    trainRows.removeIf(row -> heldOutPrompts.contains(row.prompt()));
    if (trainRows.isEmpty()) {
      throw new ConfigException(
          "config error: no training examples left in " + path + " after holding out "
              + heldOutRows.size() + " (lower eval_fraction or use a separate eval_path)");
    }
    List<Example> trainExamples = new ArrayList<>();
    for (Row row : trainRows) {
      originById.put(trainExamples.size(), row.where());
      trainExamples.add(new Example(trainExamples.size(), row.prompt(), row.answer()));
    }
    List<Example> heldOutExamples = new ArrayList<>();
    for (Row row : heldOutRows) {
      originById.put(trainExamples.size() + heldOutExamples.size(), row.where());
      heldOutExamples.add(
          new Example(trainExamples.size() + heldOutExamples.size(), row.prompt(), row.answer()));
    }
    this.train = List.copyOf(trainExamples);
    this.heldOut = List.copyOf(heldOutExamples);
  }

  private record Row(int line, String where, String prompt, String answer) {}

  private static List<Row> read(ConfigReader config, String key, Path projectRoot) {
    String shown = config.string(key);
    Path file = projectRoot.resolve(shown);
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(
          "config error: '" + config.fullKey(key) + "' = " + shown + " not found (looked for "
              + file.toAbsolutePath() + "; relative paths resolve against the project root)");
    }
    List<Row> rows = new ArrayList<>();
    for (JsonLines.Line line : JsonLines.read(file, shown, "{\"prompt\": ..., \"answer\": ...}")) {
      rows.add(new Row(line.number(), line.where(), line.text("prompt"), line.text("answer")));
    }
    return rows;
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
    return response.strip().equals(example.answer());
  }

  @Override
  public String origin(Example example) {
    return originById.get(example.id());
  }

  @Override
  public String description() {
    return "jsonl: " + train.size() + " train and " + heldOut.size() + " held-out examples from "
        + path + ", answers judged by exact match";
  }

  @Override
  public boolean qualityTags() {
    return qualityTags;
  }
}
