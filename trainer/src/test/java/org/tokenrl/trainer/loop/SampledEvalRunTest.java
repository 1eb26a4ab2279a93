package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.PythonRunner;
import org.tokenrl.core.Tokenizers;
import org.tokenrl.model.Policy;
import org.tokenrl.model.io.Checkpoint;
import org.tokenrl.rollout.Task;
import org.tokenrl.rollout.Tasks;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.trainer.setup.MaxNewTokens;
import org.tokenrl.trainer.setup.PromptCodec;

/** A real tiny run with {@code trainer.eval_samples = 4}: what its evaluations log. */
class SampledEvalRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SAMPLED =
      List.of("eval/pass@1", "eval/pass@2", "eval/pass@4", "eval/avg@4", "eval/maj@4");

  @TempDir static Path tmp;
  private static Path run;

  /** One model trained long enough for some right answers, with evaluations of 4 samples. */
  @BeforeAll
  static void train() throws Exception {
    run =
        TrainingRunTest.train(
            tmp.resolve("sampled"),
            Long.MAX_VALUE,
            "model.d_model=64",
            "model.d_ff=128",
            "sft.steps=400", // enough for a few right answers, not for all
            "trainer.steps=1",
            "trainer.eval_size=32",
            "trainer.eval_every=0",
            "trainer.checkpoint_every=0",
            "trainer.eval_samples=4");
  }

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

  @Test
  void everyEvaluationLogsPassAtKAvgAndMaj() throws Exception {
    List<JsonNode> evals = evaluations(run);
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
  void tensorBoardShowsTheSameScalars() throws Exception {
    String script =
        String.join(
            "\n",
            "import json, sys",
            "from tensorboard.backend.event_processing import event_accumulator as ea",
            "a = ea.EventAccumulator(sys.argv[1], size_guidance={'scalars': 0}); a.Reload()",
            "print(json.dumps({t: [[e.step, e.value] for e in a.Scalars(t)]",
            "                  for t in a.Tags()['scalars'] if t.startswith('eval/')}))");
    JsonNode tb = JSON.readTree(PythonRunner.run(script, run.toString()));
    for (String name : SAMPLED) {
      JsonNode points = tb.get(name);
      List<JsonNode> evals = evaluations(run);
      assertEquals(evals.size(), points.size(), name);
      for (int i = 0; i < evals.size(); i++) {
        assertEquals(evals.get(i).get("step").asLong(), points.get(i).get(0).asLong());
        assertEquals(
            (float) evals.get(i).get(name).asDouble(), (float) points.get(i).get(1).asDouble());
      }
    }
  }

  @Test
  void nearZeroTemperatureSamplesTheGreedyAnswers() throws Exception {
    // The run's final weights, evaluated here with n = 3 samples at T = 1e-4: the softmax is
    // one-hot
    // on the argmax, so every sample is the greedy answer and every score equals greedy accuracy.
    RunDirectory dir = RunDirectory.existing(run);
    Config config = ConfigLoader.loadResolved(dir.config()).config();
    Task task = Tasks.create(config.getConfig("task"), TrainingRunTest.ROOT);
    Checkpoint.Loaded loaded = Checkpoints.load(dir.latestCheckpoint().orElseThrow());
    try (Policy policy = loaded.policy()) {
      PromptCodec codec = new PromptCodec(Tokenizers.fromJson(loaded.tokenizerJson()), null);
      Evaluator cold =
          new Evaluator(task, 32, codec, MaxNewTokens.of(config, task))
              .sampled(new Evaluator.Sampled(3, 1e-4, 1.0, 0, 7));
      Map<String, Double> m = cold.evaluate(policy);
      double greedy = m.get("eval/accuracy");
      assertTrue(greedy > 0, "the check means something only with right answers: " + m);
      assertEquals(evaluations(run).get(1).get("eval/accuracy").asDouble(), greedy);
      for (String name : List.of("eval/pass@1", "eval/pass@2", "eval/pass@3", "eval/maj@3")) {
        assertEquals(greedy, m.get(name), 1e-12, name + " in " + m);
      }
    }
  }
}
