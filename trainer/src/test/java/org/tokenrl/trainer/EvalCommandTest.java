package org.tokenrl.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./tokenrl eval}: a run's checkpoint on its own task and on a changed one. */
class EvalCommandTest {
  @TempDir Path tmp;

  private static String[] run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(args);
      return new String[] {
        String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)
      };
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void evaluatesTheLatestCheckpointOnTheRunTaskAndOnAVariant() throws Exception {
    Path runDir = TrainingRunTest.train(tmp.resolve("run"), Long.MAX_VALUE, "trainer.steps=1");
    String[] own = run("eval", runDir.toString(), "--size", "12");
    assertEquals("0", own[0], own[2]);
    JsonNode j = new ObjectMapper().readTree(own[1]);
    assertEquals(12, j.get("examples").asInt());
    assertTrue(j.get("checkpoint").asText().endsWith("step-0000004"), own[1]);
    double acc = j.get("accuracy").asDouble();
    assertEquals(acc * 12, j.get("correct").asDouble(), 1e-9);

    String[] longer = run("eval", runDir.toString(), "task.digits=3", "task.min_digits=3", "--size", "5");
    assertEquals("0", longer[0], longer[2]);
    assertEquals(5, new ObjectMapper().readTree(longer[1]).get("examples").asInt());

    String[] model = run("eval", runDir.toString(), "model.layers=4");
    assertEquals("2", model[0]);
    assertTrue(model[2].contains("only task.* overrides"), model[2]);
    String[] missing = run("eval", tmp.resolve("nope").toString());
    assertEquals("2", missing[0]);
    assertTrue(missing[2].contains("not a tokenrl run directory"), missing[2]);
  }
}
