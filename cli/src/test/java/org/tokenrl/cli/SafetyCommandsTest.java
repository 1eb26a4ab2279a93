package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.runlog.Console;

/**
 * The guarantees of the README's "Bad input and safety" section, through the real command line:
 * resume notices changed inputs, settings that cannot fit (memory, LoRA, an unreachable cluster)
 * are one line and exit 2 before the run directory exists, and an internal error is one line and
 * exit 1 with its trace in a file, never on the console.
 */
class SafetyCommandsTest {
  @TempDir Path tmp;

  private static String quickstart() {
    return ProjectRoot.get().resolve("configs/quickstart.conf").toString();
  }

  /** A tiny quickstart into {@code runDir}: 2 SFT and 2 GRPO steps, plus {@code extra}. */
  private static CliRun train(Path runDir, String... extra) {
    List<String> args = new ArrayList<>(List.of("train", quickstart()));
    args.addAll(
        List.of(
            "model.d_model=32",
            "model.layers=1",
            "model.heads=2",
            "model.d_ff=64",
            "sft.steps=2",
            "sft.batch_size=8",
            "trainer.steps=2",
            "trainer.prompts_per_step=2",
            "trainer.group_size=2",
            "trainer.eval_size=8",
            "trainer.checkpoint_every=2",
            "trainer.run_dir=\"" + runDir + "\""));
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(String[]::new));
  }

  private static void assertOneLine(int code, CliRun r) {
    assertEquals(code, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void resumeRefusesChangedInputsNamingThemAndAcceptsWhatMayChange() throws Exception {
    Path data = tmp.resolve("data.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      lines.add("{\"prompt\": \"" + i + "+1=\", \"answer\": \"" + (i + 1) + "\"}");
    }
    Files.write(data, lines);
    Path run = tmp.resolve("run");
    String[] jsonl = {"task=jsonl", "task.path=\"" + data + "\"", "task.eval_fraction=0.2"};
    CliRun first = train(run, jsonl);
    assertEquals(0, first.code(), first.err());
    assertTrue(Files.isRegularFile(run.resolve("inputs.json")));

    // A learning rate edited by hand, and the data file replaced.
    Path config = run.resolve("config.conf");
    String original = Files.readString(config);
    Files.writeString(config, original + "\ntrainer.learning_rate = 0.9\n");
    lines.set(3, "{\"prompt\": \"3+1=\", \"answer\": \"5\"}");
    Files.write(data, lines);
    String metricsBefore = Files.readString(run.resolve("metrics.jsonl"));
    CliRun refused = CliRun.of("train", "--resume", run.toString());
    assertOneLine(2, refused);
    String err = refused.err();
    assertTrue(err.contains("trainer.learning_rate 0.0002 -> 0.9"), err);
    assertTrue(err.contains("task.path " + data + " changed (sha256 "), err);
    assertTrue(err.contains("--allow-changed trainer.learning_rate,task.path"), err);
    assertEquals(metricsBefore, Files.readString(run.resolve("metrics.jsonl")), "untouched");

    // Accepting one change leaves the other refused; accepting both resumes.
    CliRun stillRefused =
        CliRun.of("train", "--resume", run.toString(), "--allow-changed", "task.path");
    assertOneLine(2, stillRefused);
    assertFalse(stillRefused.err().contains("task.path"), stillRefused.err());
    // A fraction for an integer key is refused, not truncated, in a hand-edited config.conf too.
    Files.writeString(config, Files.readString(config) + "trainer.steps = 2.5\n");
    CliRun fraction =
        CliRun.of(
            "train",
            "--resume",
            run.toString(),
            "--allow-changed",
            "trainer.learning_rate,task.path");
    assertOneLine(2, fraction);
    assertTrue(
        fraction.err().startsWith("config error: trainer.steps must be a whole number, got 2.5"),
        fraction.err());
    // trainer.steps may change on resume: the run is extended by 1 step without asking.
    Files.writeString(config, Files.readString(config) + "trainer.steps = 3\n");
    CliRun accepted =
        CliRun.of(
            "train",
            "--resume",
            run.toString(),
            "--allow-changed",
            "trainer.learning_rate,task.path");
    assertEquals(0, accepted.code(), accepted.err());
    // the grpo phase's third step is run step 5 of 5, its checkpoint named so
    assertTrue(accepted.out().contains("step 3/3"), accepted.out());
    assertTrue(accepted.out().contains("checkpoint step-0000005"), accepted.out());
    // What was accepted is the new record: the next resume has nothing to refuse.
    Files.writeString(config, Files.readString(config) + "trainer.steps = 4\n");
    CliRun again = CliRun.of("train", "--resume", run.toString());
    assertEquals(0, again.code(), again.err());
  }

  @Test
  void resumeRefusesAMetricsHistoryCutBeforeTheCheckpoint() throws Exception {
    Path run = tmp.resolve("run");
    assertEquals(0, train(run, "trainer.steps=3").code());
    Path metrics = run.resolve("metrics.jsonl");
    List<String> lines = Files.readAllLines(metrics);
    assertTrue(lines.get(1).startsWith("{\"step\":2,"), lines.get(1));
    // Steps 1 and 2 lost (the file cut and rewritten); the checkpoint is at step 5.
    Files.write(metrics, lines.subList(2, lines.size()));
    CliRun refused = CliRun.of("train", "--resume", run.toString());
    assertOneLine(2, refused);
    assertTrue(
        refused.err().contains("metrics.jsonl has no line for steps 1..2 before checkpoint step 5"),
        refused.err());
    assertTrue(refused.err().contains("--allow-changed metrics"), refused.err());
    // A damaged line in the middle is refused too, not silently dropped.
    lines.set(1, lines.get(1).substring(0, 20));
    Files.write(metrics, lines);
    CliRun damaged = CliRun.of("train", "--resume", run.toString());
    assertOneLine(2, damaged);
    assertTrue(damaged.err().contains("metrics.jsonl line 2 is damaged"), damaged.err());
    assertEquals(lines, Files.readAllLines(metrics), "nothing rewritten by a refused resume");
  }

  @Test
  void aRunThatFailsAfterACheckpointSaysHowToContinue() throws Exception {
    // The SFT warm-up's 2 steps end in a checkpoint; the first GRPO step's reward then fails.
    Path reward = tmp.resolve("failing_reward.py");
    Files.writeString(
        reward,
        "def compute_score(data_source, solution_str, ground_truth, extra_info=None):\n"
            + "    raise ValueError('boom')\n");
    Path run = tmp.resolve("run");
    CliRun failed = train(run, "rewards=[{name = python, path = \"" + reward + "\"}]");
    assertOneLine(2, failed);
    assertTrue(failed.err().contains("raised ValueError: boom"), failed.err());
    assertTrue(
        failed
            .err()
            .strip()
            .endsWith(
                "; the last checkpoint is step-0000002, continue with ./tokenrl train --resume "
                    + run),
        failed.err());
  }

  @Test
  void settingsThatCannotWorkAreRefusedBeforeTheRunDirectoryExists() throws Exception {
    Path run = tmp.resolve("run");
    CliRun memory = train(run, "trainer.group_size=2000000");
    assertOneLine(2, memory);
    assertTrue(memory.err().startsWith("memory: this run needs at least "), memory.err());
    assertTrue(memory.err().contains("lower trainer.group_size"), memory.err());

    CliRun target = train(run, "model.lora.rank=4", "model.lora.targets=[q_proj]");
    assertOneLine(2, target);
    assertTrue(target.err().contains("model.lora.targets [q_proj]"), target.err());

    CliRun rank = train(run, "model.lora.rank=33", "model.lora.targets=[wq]");
    assertOneLine(2, rank);
    assertTrue(rank.err().contains("use model.lora.rank in 1..32"), rank.err());

    CliRun ray = train(run, "distributed.backend=ray", "distributed.ray.address=\"127.0.0.1:1\"");
    assertOneLine(2, ray);
    assertTrue(ray.err().contains("distributed.ray.address = 127.0.0.1:1"), ray.err());

    Path notACheckpoint = Files.createDirectories(tmp.resolve("somewhere"));
    CliRun init = train(run, "run.init_from=\"" + notACheckpoint + "\"");
    assertOneLine(2, init);
    assertTrue(init.err().contains("is neither a checkpoint"), init.err());

    assertFalse(Files.exists(run), "no run directory for any of them");
  }

  @Test
  void aChatPromptTooLongForTheModelIsNamedByFileAndLineInTheModelsTokens() throws Exception {
    Path data = tmp.resolve("data.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      lines.add("{\"prompt\": \"What is " + i + " + 1?\", \"answer\": \"" + (i + 1) + "\"}");
    }
    // 80 words: fine as characters for 8192 positions, but with the chat template's system turn
    // and instruction, and 8120 new tokens, it no longer fits; the short prompts do.
    lines.set(6, "{\"prompt\": \"" + "please ".repeat(80) + "\", \"answer\": \"1\"}");
    Files.write(data, lines);
    Path run = tmp.resolve("run");
    CliRun r =
        CliRun.of(
            "train",
            quickstart(),
            "model=llama-135m",
            "model.path=smollm2-135m-instruct",
            "task=jsonl",
            "task.chat=true",
            "task.instruction=\"Answer with the number only.\"",
            "task.path=\"" + data + "\"",
            "task.eval_fraction=0.2",
            "rollout.max_new_tokens=8120",
            "trainer.run_dir=\"" + run + "\"");
    assertOneLine(2, r);
    assertTrue(r.err().startsWith(data + ":7: needs "), r.err());
    assertTrue(r.err().contains("as the chat template renders it"), r.err());
    assertTrue(r.err().contains("model.max_position_embeddings = 8192"), r.err());
    assertFalse(Files.exists(run));
  }

  @Test
  void anInternalErrorIsOneLineAndExitCode1WithItsTraceInAFile() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Console console =
        new Console(System.in, System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
    Path log = Files.writeString(tmp.resolve("train.log"), "the run's log\n");
    Throwable bug;
    try {
      Object nothing = null;
      nothing.hashCode();
      throw new AssertionError("unreachable");
    } catch (NullPointerException e) {
      bug = new RuntimeException("while sampling", e);
    }
    assertEquals(1, Failures.report(bug, console, "train", log));
    String line = err.toString(StandardCharsets.UTF_8).strip();
    assertEquals(1, line.lines().count(), line);
    assertTrue(line.startsWith("tokenrl train: internal error: RuntimeException: while sampling"));
    assertTrue(line.contains("(at SafetyCommandsTest.java:"), line);
    assertTrue(line.contains("the full trace is in " + log + ". Please report it"), line);
    String trace = Files.readString(log);
    assertTrue(trace.startsWith("the run's log\n"), "appended, not replaced");
    assertTrue(trace.contains("Caused by: java.lang.NullPointerException"), trace);
    assertTrue(trace.contains("\tat org.tokenrl.cli.SafetyCommandsTest."), trace);

    // Bad input found while working is exit 2 with its own message, whatever wraps it.
    err.reset();
    Throwable wrapped =
        new java.util.concurrent.ExecutionException(
            new org.tokenrl.core.ConfigException("config error: trainer.steps is bad"));
    assertEquals(2, Failures.report(wrapped, console, "train", log));
    assertEquals(
        "config error: trainer.steps is bad", err.toString(StandardCharsets.UTF_8).strip());
    err.reset();
    Throwable full =
        new java.io.UncheckedIOException(
            new java.io.IOException("write failed: No space left on device"));
    assertEquals(2, Failures.report(full, console, "train", log));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("the disk is full"));
    err.reset();
    assertEquals(
        2, Failures.report(new OutOfMemoryError("Java heap space"), console, "train", log));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("TOKENRL_HEAP"));
  }
}
