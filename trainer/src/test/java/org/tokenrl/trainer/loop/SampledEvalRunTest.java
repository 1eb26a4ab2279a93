package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real tiny run with {@code trainer.eval_samples = 4}: what its evaluations log. */
class SampledEvalRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SAMPLED =
      List.of("eval/pass@1", "eval/pass@2", "eval/pass@4", "eval/avg@4", "eval/maj@4");

  @TempDir Path tmp;

  private static List<JsonNode> evaluations(Path run) throws Exception {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode row = JSON.readTree(line);
      if (row.has("eval/accuracy")) {
        rows.add(row);
      }
    }
    return rows;
  }

  /** A model trained long enough for some right answers, evaluated twice. */
  private Path trained(String name, String... extra) throws Exception {
    List<String> o =
        new ArrayList<>(
            List.of(
                "model.d_model=64",
                "model.d_ff=128",
                "sft.steps=400", // enough for a few right answers, not for all
                "trainer.steps=1",
                "trainer.eval_size=32",
                "trainer.eval_every=0",
                "trainer.checkpoint_every=0"));
    o.addAll(List.of(extra));
    return TrainingRunTest.train(tmp.resolve(name), Long.MAX_VALUE, o.toArray(String[]::new));
  }

  @Test
  void everyEvaluationLogsPassAtKAvgAndMaj() throws Exception {
    List<JsonNode> evals = evaluations(trained("sampled", "trainer.eval_samples=4"));
    assertEquals(2, evals.size(), "at the end of the SFT warm-up and of the run");
    boolean spread = false;
    for (JsonNode row : evals) {
      for (String name : SAMPLED) {
        assertTrue(row.has(name), name + " missing at step " + row.get("step"));
        double v = row.get(name).asDouble();
        assertTrue(v >= 0 && v <= 1, name + " = " + v);
      }
      // means over 32 prompts of multiples of 1/4 (avg@4) and of 0 or 1 (maj@4, pass@4)
      for (String name : List.of("eval/avg@4", "eval/maj@4", "eval/pass@4")) {
        double units = row.get(name).asDouble() * (name.equals("eval/avg@4") ? 128 : 32);
        assertEquals(Math.rint(units), units, 1e-9, name);
      }
      double p1 = row.get("eval/pass@1").asDouble();
      double p2 = row.get("eval/pass@2").asDouble();
      double p4 = row.get("eval/pass@4").asDouble();
      assertEquals(row.get("eval/avg@4").asDouble(), p1, 1e-12, "pass@1 is the sampled mean");
      assertTrue(p1 <= p2 + 1e-12 && p2 <= p4 + 1e-12, "pass@k grows with k: " + row);
      spread |= p4 > p1;
    }
    assertTrue(spread, "temperature 1 on a half-trained model: some prompt is right sometimes");
  }

  @Test
  void nearZeroTemperatureSamplesTheGreedyAnswers() throws Exception {
    List<JsonNode> evals =
        evaluations(trained("cold", "trainer.eval_samples=3", "trainer.eval_temperature=1e-4"));
    boolean someRight = false;
    for (JsonNode row : evals) {
      double greedy = row.get("eval/accuracy").asDouble();
      someRight |= greedy > 0;
      for (String name : List.of("eval/pass@1", "eval/pass@2", "eval/pass@3", "eval/maj@3")) {
        assertEquals(greedy, row.get(name).asDouble(), 1e-12, name + " at " + row);
      }
    }
    assertTrue(someRight, "the check means something only with right answers");
  }
}
