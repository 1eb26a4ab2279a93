package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.trainer.loop.TrainingRunTest;

/** {@code ./tokenrl eval}: a run's checkpoint on its own task and on a changed one. */
class EvalCommandTest {
  @TempDir Path tmp;

  @Test
  void evaluatesTheLatestCheckpointOnTheRunTaskAndOnAVariant() throws Exception {
    Path runDir = TrainingRunTest.train(tmp.resolve("run"), Long.MAX_VALUE, "trainer.steps=1");
    CliRun own = CliRun.of("eval", runDir.toString(), "--size", "12");
    assertEquals(0, own.code(), own.err());
    JsonNode j = new ObjectMapper().readTree(own.out());
    assertEquals(12, j.get("examples").asInt());
    assertTrue(j.get("checkpoint").asText().endsWith("step-0000004"), own.out());
    double acc = j.get("accuracy").asDouble();
    assertEquals(acc * 12, j.get("correct").asDouble(), 1e-9);

    CliRun longer =
        CliRun.of("eval", runDir.toString(), "task.digits=3", "task.min_digits=3", "--size", "5");
    assertEquals(0, longer.code(), longer.err());
    assertEquals(5, new ObjectMapper().readTree(longer.out()).get("examples").asInt());

    CliRun model = CliRun.of("eval", runDir.toString(), "model.layers=4");
    assertEquals(2, model.code());
    assertTrue(model.err().contains("only task.* overrides"), model.err());
    // As strict as train: a typo is one line naming the key and the closest valid one.
    CliRun typo = CliRun.of("eval", runDir.toString(), "task.digts=3");
    assertEquals(2, typo.code());
    assertTrue(
        typo.err()
            .strip()
            .equals(
                "config error: unknown key 'task.digts' in command-line override 'task.digts=3'"
                    + " (did you mean 'task.digits'?)"),
        typo.err());
    CliRun wrongType = CliRun.of("eval", runDir.toString(), "task.digits=two");
    assertEquals(2, wrongType.code());
    assertTrue(wrongType.err().contains("'task.digits' must be an integer"), wrongType.err());
    CliRun negative = CliRun.of("eval", runDir.toString(), "--size", "-3");
    assertEquals(2, negative.code());
    assertTrue(negative.err().contains("--size must be >= 0"), negative.err());
    CliRun tooLong =
        CliRun.of(
            "eval", runDir.toString(), "task.digits=9", "task.min_digits=9", "task.ops=[\"*\"]");
    assertEquals(2, tooLong.code());
    assertTrue(tooLong.err().contains("but model.max_seq_len = "), tooLong.err());
    CliRun missing = CliRun.of("eval", tmp.resolve("nope").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("not a tokenrl run directory"), missing.err());
  }

  @Test
  void sampledEvaluationReproducesTheRunsLastEvaluation() throws Exception {
    Path runDir =
        TrainingRunTest.train(
            tmp.resolve("sampled"), Long.MAX_VALUE, "trainer.steps=1", "trainer.eval_samples=4");
    JsonNode last = null;
    for (String line : java.nio.file.Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
      JsonNode row = new ObjectMapper().readTree(line);
      if (row.has("eval/pass@4")) {
        last = row;
      }
    }
    // The run's own settings and seed: the same samples, the same numbers, to the last bit.
    CliRun same = CliRun.of("eval", runDir.toString());
    assertEquals(0, same.code(), same.err());
    JsonNode j = new ObjectMapper().readTree(same.out());
    assertEquals(4, j.get("samples").asInt());
    for (String name : List.of("pass@1", "pass@2", "pass@4", "avg@4", "maj@4")) {
      assertEquals(last.get("eval/" + name).asDouble(), j.get(name).asDouble(), name);
    }
    assertEquals(last.get("eval/accuracy").asDouble(), j.get("accuracy").asDouble());

    CliRun eight = CliRun.of("eval", runDir.toString(), "--samples", "8", "--seed", "3");
    assertEquals(0, eight.code(), eight.err());
    JsonNode e = new ObjectMapper().readTree(eight.out());
    assertEquals(3, e.get("seed").asLong());
    for (String name : List.of("pass@1", "pass@2", "pass@4", "pass@8", "avg@8", "maj@8")) {
      assertTrue(e.has(name), name + " in " + eight.out());
    }
    CliRun lonely = CliRun.of("eval", runDir.toString(), "--samples", "1", "--temperature", "0.5");
    assertEquals(2, lonely.code(), lonely.err());
    assertTrue(lonely.err().contains("add --samples N"), lonely.err());
    CliRun greedy = CliRun.of("eval", runDir.toString(), "--samples", "1");
    assertEquals(0, greedy.code(), greedy.err());
    assertTrue(!greedy.out().contains("pass@"), "--samples 1 is greedy only: " + greedy.out());

    for (String[] bad :
        List.of(
            new String[] {"--samples", "0", "--samples must be >= 1"},
            new String[] {"--temperature", "0", "--temperature must be > 0"},
            new String[] {"--top-p", "1.5", "--top-p must be in (0, 1]"},
            new String[] {"--top-k", "-2", "--top-k must be >= 0"})) {
      CliRun r = CliRun.of("eval", runDir.toString(), bad[0], bad[1]);
      assertEquals(2, r.code(), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().contains(bad[2]), r.err());
    }
  }
}
