package org.tokenrl.runlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static List<JsonNode> readLines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  private static List<String> keys(JsonNode node) {
    List<String> keys = new ArrayList<>();
    node.fieldNames().forEachRemaining(keys::add);
    return keys;
  }

  @Test
  void roundTripsEveryValueExactly() throws IOException {
    Path file = tmp.resolve("logs/run1/metrics.jsonl"); // parents are created
    Map<String, Double> step3 = new LinkedHashMap<>();
    step3.put("train/reward_mean", 0.5);
    step3.put("actor/clip_frac", 0.1 + 0.2); // 0.30000000000000004 must survive
    step3.put("perf/tokens_per_sec", 12345.0);
    step3.put("actor/kl", 1e-7);
    step3.put("reward/min", -Double.MIN_VALUE);
    step3.put("actor/entropy", Math.PI);
    try (MetricsLog log = new MetricsLog(file, false)) {
      log.write(3, step3);
      log.write(4, Map.of("train/reward_mean", 0.75));
    }
    List<JsonNode> lines = readLines(file);
    assertEquals(2, lines.size());
    JsonNode first = lines.get(0);
    assertEquals(3, first.get("step").asLong());
    assertTrue(first.get("step").isIntegralNumber(), "step is an integer, not a double");
    for (Map.Entry<String, Double> e : step3.entrySet()) {
      assertEquals(e.getValue(), first.get(e.getKey()).doubleValue(), 0.0, e.getKey());
    }
    List<String> expectedKeys = new ArrayList<>(step3.keySet());
    expectedKeys.sort(null);
    expectedKeys.add(0, "step");
    assertEquals(expectedKeys, keys(first));
    assertEquals(4, lines.get(1).get("step").asLong());
    assertEquals(0.75, lines.get(1).get("train/reward_mean").doubleValue());
  }

  @Test
  void numbersUseDoubleToStringForm() throws IOException {
    Path file = tmp.resolve("metrics.jsonl");
    try (MetricsLog log = new MetricsLog(file, false)) {
      log.write(0, Map.of("a", 0.1 + 0.2, "b", 1e-7, "c", 2.0));
    }
    String line = Files.readString(file);
    assertEquals(
        "{\"step\":0,\"a\":"
            + Double.toString(0.1 + 0.2)
            + ",\"b\":"
            + Double.toString(1e-7)
            + ",\"c\":"
            + Double.toString(2.0)
            + "}\n",
        line);
  }

  @Test
  void nonFiniteAndNullValuesBecomeNull() throws IOException {
    Path file = tmp.resolve("metrics.jsonl");
    Map<String, Double> m = new HashMap<>();
    m.put("nan", Double.NaN);
    m.put("inf", Double.POSITIVE_INFINITY);
    m.put("ninf", Double.NEGATIVE_INFINITY);
    m.put("missing", null);
    m.put("ok", 1.5);
    try (MetricsLog log = new MetricsLog(file, false)) {
      log.write(7, m);
    }
    JsonNode line = readLines(file).get(0); // strict JSON parser: NaN would fail here
    for (String k : List.of("nan", "inf", "ninf", "missing")) {
      assertTrue(line.get(k).isNull(), k + " should be null, was " + line.get(k));
    }
    assertEquals(1.5, line.get("ok").doubleValue());
  }

  @Test
  void appendKeepsAndTruncateDropsEarlierLines() throws IOException {
    Path file = tmp.resolve("metrics.jsonl");
    try (MetricsLog log = new MetricsLog(file, false)) {
      log.write(1, Map.of("x", 1.0));
    }
    try (MetricsLog log = new MetricsLog(file, true)) {
      log.write(2, Map.of("x", 2.0));
    }
    assertEquals(List.of(1L, 2L), steps(file));
    try (MetricsLog log = new MetricsLog(file, false)) {
      log.write(9, Map.of("x", 9.0));
    }
    assertEquals(List.of(9L), steps(file));
  }

  @Test
  void repairForResumeDropsLaterAndCutLinesAndRestoresTheCheckpointLine() throws IOException {
    Path file = tmp.resolve("metrics.jsonl");
    String line4;
    try (MetricsLog log = new MetricsLog(file, false)) {
      for (int step = 1; step <= 3; step++) {
        log.write(step, Map.of("x", (double) step));
      }
      line4 = log.write(4, Map.of("x", 4.0, "y", 0.25));
      log.sync();
    }
    // A crash cut step 4's line in the middle (power loss before the page reached the disk).
    String text = Files.readString(file);
    Files.writeString(file, text.substring(0, text.length() - 8));
    MetricsLog.repairForResume(file, 4, line4);
    assertEquals(List.of(1L, 2L, 3L, 4L), steps(file));
    assertEquals(0.25, readLines(file).get(3).get("y").asDouble());
    // Lines after the checkpoint go (the resumed run redoes those steps); a complete line of the
    // checkpoint step is kept as it is.
    try (MetricsLog log = new MetricsLog(file, true)) {
      log.write(5, Map.of("x", 5.0));
    }
    MetricsLog.repairForResume(file, 4, null);
    assertEquals(List.of(1L, 2L, 3L, 4L), steps(file));
    // Without the checkpoint's copy a cut line is dropped, never kept half.
    text = Files.readString(file);
    Files.writeString(file, text.substring(0, text.length() - 5));
    MetricsLog.repairForResume(file, 4, null);
    assertEquals(List.of(1L, 2L, 3L), steps(file));
    try (var s = Files.list(tmp)) {
      assertEquals(1, s.count(), "no temporary file left beside metrics.jsonl");
    }
  }

  @Test
  void linesAreVisibleBeforeClose() throws IOException {
    Path file = tmp.resolve("metrics.jsonl");
    try (MetricsLog log = new MetricsLog(file, false)) {
      log.write(1, Map.of("x", 1.0));
      assertEquals(List.of(1L), steps(file));
    }
  }

  @Test
  void rejectsReservedStepKey() {
    try (MetricsLog log = new MetricsLog(tmp.resolve("m.jsonl"), false)) {
      assertThrows(IllegalArgumentException.class, () -> log.write(1, Map.of("step", 1.0)));
      Map<String, Double> nullKey = new HashMap<>();
      nullKey.put(null, 1.0);
      assertThrows(IllegalArgumentException.class, () -> log.write(1, nullKey));
    }
  }

  private static List<Long> steps(Path file) throws IOException {
    List<Long> out = new ArrayList<>();
    for (JsonNode n : readLines(file)) {
      out.add(n.get("step").asLong());
    }
    return out;
  }
}
