package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigException;

class PreferenceJsonlTest {
  /** Shipped example data; tests run in the module directory. */
  static final Path ARITH_PAIRS = Path.of("../experiments/preference/data/arith_pairs.jsonl");

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private Path file(String... lines) throws Exception {
    Path f = tmp.resolve("pairs.jsonl");
    Files.write(f, List.of(lines), StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void readsPairsInFileOrderSkippingBlankLines() throws Exception {
    Path f =
        file(
            "{\"prompt\": \"1+1=\", \"chosen\": \"2\", \"rejected\": \"3\", \"source\": \"x\"}",
            "",
            "{\"prompt\": \"\", \"chosen\": \"a b\", \"rejected\": \"a\"}");
    assertEquals(
        List.of(new PreferenceText("1+1=", "2", "3"), new PreferenceText("", "a b", "a")),
        PreferenceJsonl.read(f));
  }

  @Test
  void malformedLinesNameFileAndLine() throws Exception {
    String ok = "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}";
    assertError(f -> f + ":2: not valid JSON", ok, "{\"prompt\": ");
    assertError(f -> f + ":1: expected a JSON object like {\"prompt\"", "[1, 2]");
    assertError(f -> f + ":2: missing \"rejected\"", ok, "{\"prompt\": \"p\", \"chosen\": \"a\"}");
    assertError(
        f -> f + ":1: \"chosen\" must be a string, got number 4",
        "{\"prompt\": \"p\", \"chosen\": 4, \"rejected\": \"b\"}");
    assertError(
        f -> f + ":1: \"rejected\" contains character U+00E9",
        "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"\u00e9\"}");
    assertError(
        f -> f + ":3: \"chosen\" is empty",
        ok,
        ok,
        "{\"prompt\": \"p\", \"chosen\": \"\", \"rejected\": \"b\"}");
    assertError(
        f -> f + ":1: \"rejected\" is empty",
        "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"\"}");
    assertError(
        f -> f + ":1: \"chosen\" and \"rejected\" are the same (\"a\")",
        "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"a\"}");
    assertError(f -> f + ": no examples", "", "  ");
    ConfigException missing =
        assertThrows(ConfigException.class, () -> PreferenceJsonl.read(tmp.resolve("nope.jsonl")));
    assertTrue(missing.getMessage().contains("nope.jsonl not found"), missing.getMessage());
  }

  private void assertError(java.util.function.Function<Path, String> expected, String... lines)
      throws Exception {
    Path f = file(lines);
    ConfigException e = assertThrows(ConfigException.class, () -> PreferenceJsonl.read(f));
    assertTrue(e.getMessage().startsWith(expected.apply(f)), e.getMessage());
  }

  @Test
  void shippedArithPairsAreValidAndReproducible() throws Exception {
    List<String> expected = arithPairLines();
    List<PreferenceText> pairs = PreferenceJsonl.read(ARITH_PAIRS);
    assertEquals(200, pairs.size());
    assertEquals(expected, Files.readAllLines(ARITH_PAIRS, StandardCharsets.UTF_8));
    for (PreferenceText pair : pairs) {
      String[] operands = pair.prompt().substring(0, pair.prompt().length() - 1).split("\\+");
      long sum = Long.parseLong(operands[0]) + Long.parseLong(operands[1]);
      assertEquals(Long.toString(sum), pair.chosen(), pair.prompt());
      assertFalse(pair.rejected().equals(pair.chosen()));
      assertTrue(Math.abs(Long.parseLong(pair.rejected()) - sum) <= ArithTask.MAX_ERROR);
    }
  }

  /**
   * The lines of the shipped arith_pairs.jsonl: 200 two-digit additions from the arith generator
   * (seed 2024), the right sum chosen, a near miss ({@link ArithTask#corruptAnswer}) rejected. Run
   * with {@code -Dtokenrl.regenerate=true} to rewrite the file.
   */
  static List<String> arithPairLines() throws Exception {
    Task task =
        Tasks.create(
            ConfigFactory.parseString(
                "name = arith, seed = 2024, train_size = 200, eval_size = 0, ops = [\"+\"],"
                    + " digits = 2"),
            Path.of("."));
    List<String> lines = new ArrayList<>();
    for (Example example : task.train()) {
      Random random = new Random(RowSeeds.of(2024, example.id(), 1));
      ObjectNode node = JSON.createObjectNode();
      node.put("prompt", example.prompt());
      node.put("chosen", example.answer());
      node.put("rejected", task.corruptAnswer(example, random));
      lines.add(JSON.writeValueAsString(node));
    }
    if (Boolean.getBoolean("tokenrl.regenerate")) {
      Files.createDirectories(ARITH_PAIRS.getParent());
      Files.write(ARITH_PAIRS, lines, StandardCharsets.UTF_8);
    }
    return lines;
  }
}
