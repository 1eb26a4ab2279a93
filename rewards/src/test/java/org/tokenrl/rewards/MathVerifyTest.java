package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.PythonRunner;

/**
 * Cross-checks the {@code math} reward against HuggingFace math-verify (the PyPI package pinned in
 * requirements-test.txt) on math_corpus.jsonl, pairs in GSM8K/MATH answer formats written by
 * src/test/python/make_math_corpus.py. Every disagreement must be a row marked {@code known} with a
 * category documented in rewards/README.md, and every marked row must disagree, so the README's
 * list stays exact. Fails (does not skip) when python or math-verify is missing.
 */
class MathVerifyTest {
  /** The categories of rewards/README.md's "math" section. */
  static final Set<String> CATEGORIES =
      Set.of(
          "symbolic_equivalence",
          "escaped_dollar_in_text",
          "thin_space_thousands",
          "percent_sign_in_text",
          "period_after_fraction_in_text");

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void agreesWithMathVerify() throws Exception {
    String corpus = resource("math_corpus.jsonl");
    List<JsonNode> rows = new ArrayList<>();
    for (String line : corpus.split("\n")) {
      if (!line.isBlank()) {
        rows.add(JSON.readTree(line));
      }
    }
    String[] lines =
        PythonRunner.runWithInput(resource("math_verify_reference.py"), corpus).split("\n");
    assertEquals("version 0.9.0", lines[0], "math-verify version (requirements-test.txt)");
    assertEquals(rows.size() + 1, lines.length, "one score per row");

    MathReward reward = new MathReward(ConfigFactory.parseString("name = math"));
    Map<String, List<Integer>> byCategory = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    int agree = 0;
    for (int i = 0; i < rows.size(); i++) {
      JsonNode row = rows.get(i);
      String[] idScore = lines[i + 1].strip().split(" ");
      assertEquals(row.get("id").asText(), idScore[0]);
      boolean reference = idScore[1].equals("1");
      boolean ours = reward.matches(row.get("response").asText(), row.get("reference").asText());
      String known = row.hasNonNull("known") ? row.get("known").asText() : null;
      if (ours == reference) {
        agree++;
        if (known != null) {
          problems.add("row " + i + " is marked " + known + " but agrees: " + row);
        }
      } else if (known == null || !CATEGORIES.contains(known)) {
        problems.add(
            "row " + i + " disagrees (ours " + ours + ", math-verify " + reference + "): " + row);
      } else {
        byCategory.computeIfAbsent(known, k -> new ArrayList<>()).add(i);
      }
    }
    double rate = (double) agree / rows.size();
    System.out.printf(
        "math vs math-verify 0.9.0: %d/%d agree (%.1f%%); disagreements by category: %s%n",
        agree, rows.size(), 100 * rate, byCategory);
    assertTrue(problems.isEmpty(), String.join("\n", problems));
    assertTrue(rows.size() >= 300, "corpus has " + rows.size() + " rows");
    assertTrue(rate >= 0.95, "agreement " + rate);
  }

  @Test
  void readmeListsEveryCategoryAndItsConfigLoads() throws IOException {
    String readme = Files.readString(Path.of(System.getProperty("basedir", "."), "README.md"));
    for (String category : CATEGORIES) {
      assertTrue(
          readme.contains("| `" + category + "` |"), "README's math table lacks " + category);
    }
    String hocon = "rewards = [{ name = math, weight = 1.0, float_rounding = 6 }]";
    assertTrue(readme.contains(hocon), "README's math config");
    CompositeReward reward = CompositeReward.fromConfig(ConfigFactory.parseString(hocon));
    assertEquals("math", reward.components().get(0).name());
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = MathVerifyTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
