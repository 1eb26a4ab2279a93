package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ProjectRoot;

/** The CLI stops on bad configs before any work: one line, exit code 2, no run directory. */
class TrainCommandTest {
  @TempDir Path tmp;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private String quickstart() {
    return ProjectRoot.get().resolve("configs/quickstart.conf").toString();
  }

  @Test
  void unknownKeyNamesKeyFileAndSuggestion() {
    Path runDir = tmp.resolve("run");
    CliRun r = run("train", quickstart(), "trainer.stpes=5", "trainer.run_dir=\"" + runDir + "\"");
    assertEquals(2, r.code());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("'trainer.stpes'"), r.err());
    assertTrue(r.err().contains("trainer.steps"), r.err());
    assertTrue(r.err().contains("command-line override"), r.err());
    assertFalse(Files.exists(runDir), "no run directory for a rejected config");
  }

  @Test
  void wrongTypeAndMissingFileAndUnknownGroup() {
    CliRun type = run("train", quickstart(), "trainer.steps=abc");
    assertEquals(2, type.code());
    assertTrue(type.err().contains("'trainer.steps'"), type.err());

    CliRun missing = run("train", tmp.resolve("nope.conf").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("nope.conf"), missing.err());

    CliRun group = run("train", quickstart(), "algorithm=grpoo");
    assertEquals(2, group.code());
    assertTrue(group.err().contains("grpoo") && group.err().contains("grpo"), group.err());
  }

  @Test
  void helpExplainsEveryCommand() {
    CliRun top = run("--help");
    assertEquals(0, top.code());
    for (String command : new String[] {"train", "bench", "bleu", "credit"}) {
      assertTrue(top.out().contains(command), top.out());
    }
    CliRun train = run("train", "--help");
    assertEquals(0, train.code());
    assertTrue(train.out().contains("--resume"), train.out());
    CliRun unknown = run("frobnicate");
    assertEquals(2, unknown.code());
    CliRun bench = run("bench", "--help");
    assertEquals(0, bench.code());
    for (String benchmark : new String[] {"model", "bleu", "rollout"}) {
      assertTrue(bench.out().contains(benchmark), bench.out());
    }
    CliRun badBenchmark = run("bench", "bleu", "--vocab", "0");
    assertEquals(2, badBenchmark.code());
    assertEquals(1, badBenchmark.err().strip().lines().count(), badBenchmark.err());
    CliRun badOption = run("bench", "model", "--fast");
    assertEquals(2, badOption.code());
    assertTrue(badOption.err().contains("--fast"), badOption.err());
  }

  @Test
  void badAlgorithmValueFailsBeforeTheWarmUpWithOneLine() {
    Path runDir = tmp.resolve("bad-algo");
    CliRun r =
        run(
            "train",
            quickstart(),
            "algorithm=dpo",
            "algorithm.loss=sigmoidal",
            "trainer.run_dir=\"" + runDir + "\"");
    assertEquals(2, r.code());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("algorithm.loss"), r.err());
    assertFalse(r.out().contains("[sft]"), "no SFT step ran: " + r.out());
  }
}
