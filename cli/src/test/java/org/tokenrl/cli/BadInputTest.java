package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ProjectRoot;

/**
 * One test per class of bad input: each is one line on stderr naming the config key (its HOCON
 * name) or file:line, exit code 2, before any training step, and no run directory left behind.
 */
class BadInputTest {
  @TempDir Path tmp;

  private String quickstart() {
    return ProjectRoot.get().resolve("configs/quickstart.conf").toString();
  }

  /** A quickstart run into {@code runDir} with a tiny model and few steps, plus {@code extra}. */
  private CliRun train(Path runDir, String... extra) {
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

  /** Exit 2, exactly {@code expected} as the only line on stderr, no step run, no directory. */
  private void assertRejected(String expected, String... extra) {
    Path runDir = tmp.resolve("run");
    CliRun r = train(runDir, extra);
    assertEquals(2, r.code(), r.err());
    assertEquals(expected, r.err().strip(), "for " + String.join(" ", extra));
    assertFalse(r.out().contains("step 1/"), "no step ran: " + r.out());
    assertFalse(Files.exists(runDir), "no run directory for a rejected start");
  }

  private void assertRejectedContaining(String expected, String... extra) {
    Path runDir = tmp.resolve("run");
    CliRun r = train(runDir, extra);
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains(expected), r.err());
    assertFalse(r.out().contains("step 1/"), "no step ran: " + r.out());
    assertFalse(Files.exists(runDir), "no run directory for a rejected start");
  }

  @Test
  void numbersOutOfRangeNameTheirKey() {
    assertRejected(
        "config error: trainer.steps must be >= 0, got -1 (command-line override"
            + " 'trainer.steps=-1')",
        "trainer.steps=-1");
    assertRejected(
        "config error: sft.steps must be >= 0, got -5 (command-line override 'sft.steps=-5')",
        "sft.steps=-5");
    assertRejected(
        "config error: trainer.prompts_per_step must be >= 1, got 0 (command-line override"
            + " 'trainer.prompts_per_step=0')",
        "trainer.prompts_per_step=0");
    assertRejected(
        "config error: rollout.top_p must be in (0, 1], got 1.5 (command-line override"
            + " 'rollout.top_p=1.5')",
        "rollout.top_p=1.5");
    assertRejected(
        "config error: model.d_model (33) must be divisible by model.heads (2) (command-line"
            + " override 'model.heads=2')",
        "model.d_model=33");
    assertRejected(
        "config error: trainer.dynamic_sampling must be one of off, drop, refill, got 'sometimes'"
            + " (command-line override 'trainer.dynamic_sampling=sometimes')",
        "trainer.dynamic_sampling=sometimes");
    assertRejectedContaining("optimizer.beta2 must be in [0, 1)", "optimizer.beta2=1");
    assertRejectedContaining("trainer.group_size must be >= 1, got 0", "trainer.group_size=0");
    assertRejectedContaining(
        "sft.steps + trainer.steps must be >= 1", "sft.steps=0", "trainer.steps=0");
    assertRejectedContaining(
        "distributed.ray.worker_heap must be a JVM heap size", "distributed.ray.worker_heap=lots");
    assertRejected(
        "config error: trainer.eval_samples must be >= 1, got 0 (command-line override"
            + " 'trainer.eval_samples=0')",
        "trainer.eval_samples=0");
    assertRejectedContaining(
        "trainer.eval_temperature must be > 0, got 0", "trainer.eval_temperature=0");
    assertRejectedContaining("trainer.eval_top_p must be in (0, 1]", "trainer.eval_top_p=0");
    assertRejectedContaining("trainer.eval_top_k must be >= 0", "trainer.eval_top_k=-1");
  }

  @Test
  void rewardDefinitionsAreCheckedBeforeTheWarmUp() {
    assertRejectedContaining("rewards[1]", "rewards=[{name=task}, {name=regex, pattern=\"(\"}]");
    assertRejectedContaining("rewards[0]", "rewards=[{name=com.example.NoSuchReward}]");
    assertRejectedContaining("method9", "rewards=[{name=bleu, smoothing=method9}]");
    assertRejectedContaining("rewards is empty", "rewards=[]");
  }

  @Test
  void algorithmBackendAndInitFromAreCheckedBeforeTheWarmUp() {
    assertRejectedContaining("algorithm.clip_eps_low", "algorithm.clip_eps_low=-1");
    assertRejectedContaining(
        "distributed.backend = nowhere is not available", "distributed.backend=nowhere");
    assertRejectedContaining("run.init_from = no/such/run is neither", "run.init_from=no/such/run");
  }

  @Test
  void jsonlTaskLinesAreCheckedAgainstTheModelWhenRead() throws IOException {
    Path data = tmp.resolve("data.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      lines.add("{\"prompt\": \"" + i + "+1=\", \"answer\": \"" + (i + 1) + "\"}");
    }
    lines.set(13, "{\"prompt\": \"" + "9".repeat(40) + "=\", \"answer\": \"1\"}");
    Files.write(data, lines);
    assertRejected(
        data
            + ":14: needs 43 positions for prompt and answer but model.max_seq_len = 32"
            + " (shorten the example or raise model.max_seq_len)",
        "task=jsonl",
        "task.path=\"" + data + "\"",
        "task.eval_fraction=0.2");
    // A 1 MB line is the same one line, not an OutOfMemoryError.
    lines.set(13, "{\"prompt\": \"" + "7".repeat(1 << 20) + "\", \"answer\": \"1\"}");
    Files.write(data, lines);
    assertRejectedContaining(
        data + ":14: needs 1048578 positions",
        "task=jsonl",
        "task.path=\"" + data + "\"",
        "task.eval_fraction=0.2");
  }

  @Test
  void preferenceDataFilesAreCheckedBeforeTheWarmUp() throws IOException {
    Path pairs = tmp.resolve("pairs.jsonl");
    Files.write(
        pairs,
        List.of(
            "{\"prompt\": \"1+1=\", \"chosen\": \"2\", \"rejected\": \"3\"}",
            "{\"prompt\": \"1+2=\", \"chosen\": \"3\"}"));
    assertRejected(
        pairs + ":2: missing \"rejected\"",
        "algorithm=dpo",
        "preference.source=jsonl",
        "preference.path=\"" + pairs + "\"");
    Files.write(
        pairs,
        List.of(
            "{\"prompt\": \"" + "1".repeat(40) + "\", \"chosen\": \"2\", \"rejected\": \"3\"}"));
    assertRejectedContaining(
        "none of its 1 pairs fits model.max_seq_len = 32",
        "algorithm=dpo",
        "preference.source=jsonl",
        "preference.path=\"" + pairs + "\"");
  }

  @Test
  void aStartThatFailedBeforeItsFirstCheckpointLeavesADirectoryAFreshStartReuses() {
    Path runDir = tmp.resolve("run");
    // A reward that fails on its first batch stops the run after the directory exists.
    Path reward = tmp.resolve("failing_reward.py");
    try {
      Files.writeString(
          reward,
          "def compute_score(data_source, solution_str, ground_truth, extra_info=None):\n"
              + "    raise ValueError('boom')\n");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    CliRun failed =
        train(runDir, "sft.steps=0", "rewards=[{name = python, path = \"" + reward + "\"}]");
    assertEquals(2, failed.code(), failed.err());
    assertTrue(failed.err().contains("boom"), failed.err());
    assertTrue(Files.isRegularFile(runDir.resolve("config.conf")));
    CliRun resume = CliRun.of("train", "--resume", runDir.toString());
    assertEquals(2, resume.code());
    assertTrue(resume.err().contains("start it again without --resume"), resume.err());
    CliRun again = train(runDir);
    assertEquals(0, again.code(), again.err());
    assertTrue(Files.isDirectory(runDir.resolve("checkpoints/step-0000004")));
    // Now it holds a run: a fresh start is refused, --resume is the way on.
    CliRun twice = train(runDir);
    assertEquals(2, twice.code());
    assertTrue(twice.err().contains("already holds a run"), twice.err());
  }

  @Test
  void aDamagedNewestCheckpointFallsBackToTheNewestIntactOne() throws IOException {
    Path runDir = tmp.resolve("run");
    CliRun first = train(runDir);
    assertEquals(0, first.code(), first.err());
    Path newest = runDir.resolve("checkpoints/step-0000004/model.safetensors");
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length - 1] ^= 1;
    Files.write(newest, bytes);
    CliRun resumed = CliRun.of("train", "--resume", runDir.toString());
    assertEquals(0, resumed.code(), resumed.err());
    assertTrue(
        resumed.err().contains("checkpoint step-0000004 (")
            && resumed
                .err()
                .contains("is damaged; resuming from the newest intact one, step-0000002"),
        resumed.err());
    assertTrue(resumed.out().contains("resumed from checkpoint at step 2 of 4"), resumed.out());
    // Steps 3-4 were redone and the damaged checkpoint replaced by a good one.
    assertEquals(0, CliRun.of("eval", runDir.toString()).code());
    // With every checkpoint damaged: one line and exit 2.
    for (String step : List.of("step-0000002", "step-0000004")) {
      Path f = runDir.resolve("checkpoints/" + step + "/trainer_state.json");
      Files.writeString(f, "{\"global_step\": 9");
    }
    CliRun none = CliRun.of("train", "--resume", runDir.toString());
    assertEquals(2, none.code());
    assertEquals(1, none.err().strip().lines().count(), none.err());
    assertTrue(none.err().contains("no intact checkpoint in "), none.err());
  }

  @Test
  void ctrlCSaysWhereTheRunStoppedAndTheResumeCommand() throws Exception {
    Path runDir = tmp.resolve("run");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(
        List.of(
            "train",
            quickstart(),
            "model.d_model=32",
            "model.layers=1",
            "model.heads=2",
            "model.d_ff=64",
            "sft.steps=100000",
            "sft.batch_size=4",
            "trainer.steps=1",
            "trainer.checkpoint_every=2",
            "trainer.eval_every=0",
            "trainer.log_every=1",
            "trainer.run_dir=\"" + runDir + "\""));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(tmp.resolve("err.txt").toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("[sft] step 3/")) {
        // wait until a checkpoint (after step 2) exists
      }
      // What Ctrl-C sends.
      new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
      assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the run stopped");
    } finally {
      p.destroyForcibly();
    }
    String err = Files.readString(tmp.resolve("err.txt"));
    assertTrue(
        err.matches(
            "(?s).*tokenrl: stopped during step \\d+ of 100001; the last checkpoint is"
                + " step-\\d+\\. Continue with: \\./tokenrl train --resume "
                + java.util.regex.Pattern.quote(runDir.toString())
                + "\\s*"),
        err);
  }
}
