package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dataset's extra columns reach Python rewards as verl and TRL hand them over: verl's
 * compute_score gets the row's data_source, reward_model.ground_truth (with its own type) and its
 * extra_info dict; a TRL function gets every column as a keyword argument, and for chat prompts the
 * conversations as {@code prompts} and each completion as one assistant message. The functions
 * record what they received; the test reads that record.
 */
class PythonRewardColumnsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  /** Two prompts × two samples; row columns as a verl parquet row gives them. */
  private static RewardInput verlRows() {
    RewardInput base =
        Batches.of(2, List.of("5", "6", "[1, 2]", "x"), List.of("5", "5", "[1,2]", "[1,2]"), null);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      boolean first = i < 2;
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("data_source", first ? "openai/gsm8k" : null);
      row.put("ability", "math");
      row.put("reward_model", Map.of("style", "rule", "ground_truth", first ? "5" : List.of(1, 2)));
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("index", first ? 10 : 11);
      extra.put("split", "train");
      row.put("extra_info", extra);
      if (first) {
        row.put(
            "prompt",
            List.of(Map.of("role", "user", "content", "2+3?"))); // a conversation (Example)
      }
      rows.add(row);
    }
    return withColumns(base, RewardInput.columnsOfRows(rows));
  }

  private static RewardInput withColumns(RewardInput b, Map<String, List<Object>> columns) {
    return new RewardInput(
        b.groupSize(),
        b.promptIds(),
        b.responseIds(),
        b.promptTexts(),
        b.responseTexts(),
        b.references(),
        b.truncated(),
        b.verifier(),
        b.encoder(),
        columns);
  }

  private CompositeReward reward(String file, String source, String extra) throws Exception {
    Files.writeString(dir.resolve(file), source);
    return CompositeReward.fromConfig(
        ConfigFactory.parseString(
            "rewards = [{name = python, path = \"" + file + "\"" + extra + "}]"),
        dir);
  }

  @Test
  void verlGetsTheRowsDataSourceGroundTruthAndExtraInfo() throws Exception {
    String source =
        String.join(
            "\n",
            "import json, os",
            "seen = []",
            "def compute_score(data_source, solution_str, ground_truth, extra_info=None):",
            "    seen.append({'data_source': data_source, 'ground_truth': ground_truth,",
            "                 'extra_info': extra_info})",
            "    with open(os.path.join(os.path.dirname(__file__), 'seen.json'), 'w') as f:",
            "        json.dump(seen, f)",
            "    want = ground_truth if isinstance(ground_truth, str) else"
                + " json.dumps(ground_truth)",
            "    return float(solution_str == want)",
            "");
    try (CompositeReward reward = reward("verl_cols.py", source, ", data_source = fallback")) {
      RewardResult r = reward.score(verlRows());
      assertArrayEquals(new double[] {1, 0, 1, 0}, r.total(), 1e-12);
    }
    JsonNode seen = JSON.readTree(dir.resolve("seen.json").toFile());
    assertEquals(4, seen.size());
    assertEquals("openai/gsm8k", seen.get(0).get("data_source").asText());
    assertEquals("fallback", seen.get(2).get("data_source").asText(), "the reward's own setting");
    assertEquals("5", seen.get(0).get("ground_truth").asText());
    assertEquals("[1,2]", seen.get(2).get("ground_truth").toString(), "a list stays a list");
    JsonNode extra = seen.get(3).get("extra_info");
    assertEquals(11, extra.get("index").asInt(), "the row's own index wins over the batch's");
    assertEquals("train", extra.get("split").asText());
    assertEquals("math", extra.get("ability").asText(), "other columns join extra_info");
    assertEquals("q1", extra.get("prompt").asText());
  }

  @Test
  void trlGetsEveryColumnAsKeywordsAndConversationsAsMessages() throws Exception {
    String source =
        String.join(
            "\n",
            "import json, os",
            "def accuracy(prompts, completions, solution, level, **kwargs):",
            "    with open(os.path.join(os.path.dirname(__file__), 'seen.json'), 'w') as f:",
            "        json.dump({'prompts': prompts, 'completions': completions,",
            "                   'solution': solution, 'level': level,",
            "                   'keys': sorted(kwargs)}, f)",
            "    return [float(c[0]['content'] == s) for c, s in zip(completions, solution)]",
            "");
    RewardInput base =
        Batches.of(2, List.of("4", "5", "6", "6"), List.of("4", "4", "6", "6"), null);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("solution", i < 2 ? "4" : "6");
      row.put("level", i / 2 + 1);
      row.put("prompt", List.of(Map.of("role", "user", "content", i < 2 ? "2+2?" : "3+3?")));
      rows.add(row);
    }
    try (CompositeReward reward = reward("trl_cols.py", source, ", function = accuracy")) {
      RewardResult r = reward.score(withColumns(base, RewardInput.columnsOfRows(rows)));
      assertArrayEquals(new double[] {1, 0, 1, 1}, r.total(), 1e-12);
    }
    JsonNode seen = JSON.readTree(dir.resolve("seen.json").toFile());
    // Compared as JSON trees: key order is not part of a message (Map.of's order varies per JVM).
    assertEquals(
        JSON.readTree("[{\"role\":\"user\",\"content\":\"2+2?\"}]"), seen.get("prompts").get(0));
    assertEquals(
        JSON.readTree("[{\"role\":\"assistant\",\"content\":\"5\"}]"),
        seen.get("completions").get(1));
    assertEquals("[\"4\",\"4\",\"6\",\"6\"]", seen.get("solution").toString());
    assertEquals("[1,1,2,2]", seen.get("level").toString());
    assertEquals("[\"completion_ids\",\"ground_truth\"]", seen.get("keys").toString());
  }

  @Test
  void oneRowAloneKeepsItsOwnColumns() {
    RewardInput row = verlRows().row(2);
    assertEquals(1, row.size());
    assertEquals(List.of(Map.of("index", 11, "split", "train")), row.columns().get("extra_info"));
  }
}
