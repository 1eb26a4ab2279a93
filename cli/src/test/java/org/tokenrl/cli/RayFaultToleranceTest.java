package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.trainer.loop.TrainingRunTest;

/**
 * Fault tolerance of the Ray backend, end to end: a short GRPO run (3 SFT + 3 GRPO steps, BLEU on
 * reverse so every step updates, 2 actors on a local head the run starts) in which the test {@code
 * kill -9}s an actor's worker JVM at a chosen moment — while it samples, while its result is on the
 * way back, while it loads new weights, between steps. Each such run must finish, count the
 * restart, and end with the same metrics and the same final weights as one undisturbed run with the
 * same seed (shared by the cases). A test-only hook ({@code tokenrl.test.pause}, passed to the
 * worker JVMs) stops an actor at the named point so the kill lands there.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RayFaultToleranceTest {
  private static final String PAUSE = "tokenrl.test.pause";
  private static final String[] RUN = {
    "defaults.task=reverse",
    "rewards=[{name=bleu, weight=1.0, smoothing=method1}]",
    "trainer.dynamic_sampling=off",
    "distributed.backend=ray",
    "distributed.ray.actors=2"
  };

  @TempDir static Path shared;
  @TempDir Path tmp;
  private static Path baseline;

  @BeforeAll
  static void undisturbedRun() throws IOException {
    baseline = TrainingRunTest.train(shared.resolve("baseline"), Long.MAX_VALUE, RUN);
    List<JsonNode> lines = lines(baseline);
    assertEquals(6, lines.size(), "3 SFT + 3 GRPO steps");
    // RL really updated the policy: every GRPO step took an optimizer step on non-zero
    // advantages, and the weights after GRPO step 1 differ from those after step 3.
    for (JsonNode step : lines.subList(3, 6)) {
      assertEquals(0.0, step.get("optim/skipped").asDouble(), step.toString());
      assertTrue(step.get("optim/grad_norm").asDouble() > 0, step.toString());
      assertTrue(step.get("credit/adv_abs_mean").asDouble() > 0, step.toString());
      assertEquals(0.0, step.get("distributed/actor_restarts").asDouble(), step.toString());
    }
    assertFalse(
        Arrays.equals(weights(baseline, 4), weights(baseline, 6)), "GRPO changed the weights");
  }

  @AfterEach
  void clearHook() {
    System.clearProperty(PAUSE);
  }

  @Test
  void anActorKilledWhileSamplingIsRestartedAndTheRunEqualsTheUndisturbedOne() throws Exception {
    assertSurvives("generate");
  }

  @Test
  void anActorKilledWhileItsResultIsOnTheWayBackIsRestarted() throws Exception {
    assertSurvives("result");
  }

  @Test
  void anActorKilledWhileLoadingNewWeightsIsRestarted() throws Exception {
    assertSurvives("load_weights");
  }

  @Test
  void anActorKilledBetweenStepsIsRestarted() throws Exception {
    Path run = tmp.resolve("between");
    // After GRPO step 1's metrics line, while the trainer moves on to step 2.
    CompletableFuture<Long> kill = killWhen(() -> lineCount(run) >= 4 ? anyWorker() : -1L);
    TrainingRunTest.train(run, Long.MAX_VALUE, RUN);
    assertTrue(kill.getNow(-1L) > 0, "the test killed a worker");
    assertSameRunAsBaseline(run);
  }

  /**
   * With distributed.ray.max_restarts = 0 the first death ends the run: exit 2 and one line that
   * names the key (through the CLI, as a user sees it).
   */
  @Test
  void usedUpRestartsStopTheRunWithOneLineNamingTheKey() throws Exception {
    Path run = tmp.resolve("exhausted");
    Path marker = tmp.resolve("pause-exhausted");
    System.setProperty(PAUSE, "generate:1:" + marker);
    CompletableFuture<Long> kill = killWhen(() -> pausedPid(marker));
    List<String> args = new ArrayList<>(List.of("train", "configs/quickstart.conf"));
    args.addAll(TrainingRunTest.tinyOverrides(run));
    args.addAll(List.of(RUN));
    args.add("distributed.ray.max_restarts=0");
    CliRun cli =
        CliRun.of(
            args.stream()
                .map(a -> a.startsWith("configs/") ? TrainingRunTest.ROOT.resolve(a).toString() : a)
                .toArray(String[]::new));
    assertTrue(kill.getNow(-1L) > 0, "the test killed a worker");
    assertEquals(2, cli.code(), cli.err());
    String line = cli.err().strip();
    assertFalse(line.contains("\n"), "one line: " + line);
    assertTrue(line.contains("rollout actor"), line);
    assertTrue(line.contains("distributed.ray.max_restarts = 0"), line);
    assertTrue(line.contains("will not restart it"), line);
  }

  /** Pauses one actor at {@code point} (its 2nd visit, inside GRPO), kills it there, compares. */
  private void assertSurvives(String point) throws Exception {
    Path run = tmp.resolve(point);
    Path marker = tmp.resolve("pause-" + point);
    System.setProperty(PAUSE, point + ":2:" + marker);
    CompletableFuture<Long> kill = killWhen(() -> pausedPid(marker));
    TrainingRunTest.train(run, Long.MAX_VALUE, RUN);
    assertTrue(kill.getNow(-1L) > 0, "an actor paused at '" + point + "' and the test killed it");
    assertSameRunAsBaseline(run);
  }

  private static void assertSameRunAsBaseline(Path run) throws IOException {
    List<JsonNode> lines = lines(run);
    assertEquals(6, lines.size());
    assertEquals(
        1.0,
        lines.get(5).get("distributed/actor_restarts").asDouble(),
        "Ray's restart count, in the last step's metrics");
    assertEquals(comparable(baseline), comparable(run));
    assertArrayEquals(weights(baseline, 6), weights(run, 6), "final weights");
  }

  /** Kills (SIGKILL) the process {@code pid} gives once it is positive; returns its id. */
  private static CompletableFuture<Long> killWhen(Supplier<Long> pid) {
    return CompletableFuture.supplyAsync(
        () -> {
          long deadline = System.currentTimeMillis() + 240_000;
          while (System.currentTimeMillis() < deadline) {
            long p = pid.get();
            if (p > 0) {
              ProcessHandle worker = ProcessHandle.of(p).orElseThrow();
              // Only a worker of the head this JVM started: never another cluster's process.
              assertTrue(
                  ProcessHandle.current().descendants().anyMatch(d -> d.pid() == p),
                  p + " is not a descendant of this JVM");
              worker.destroyForcibly(); // SIGKILL, as kill -9
              return p;
            }
            try {
              Thread.sleep(50);
            } catch (InterruptedException e) {
              return -1L;
            }
          }
          return -1L;
        });
  }

  /** The pid an actor paused with (written by the hook), or -1 while none has paused. */
  private static long pausedPid(Path marker) {
    try {
      Path pid = Path.of(marker + ".pid");
      return Files.exists(pid) ? Long.parseLong(Files.readString(pid).strip()) : -1L;
    } catch (IOException | NumberFormatException e) {
      return -1L;
    }
  }

  /** A rollout actor's worker JVM started under this JVM's head, or -1. */
  private static long anyWorker() {
    return ProcessHandle.current()
        .descendants()
        .filter(p -> isWorkerJvm(cmdline(p.pid())))
        .mapToLong(ProcessHandle::pid)
        .findFirst()
        .orElse(-1L);
  }

  /** A worker JVM, not the raylet (whose arguments hold the worker command line too). */
  private static boolean isWorkerJvm(String cmdline) {
    return cmdline.startsWith("java ")
        && cmdline.contains("io.ray.runtime.runner.worker.DefaultWorker");
  }

  private static String cmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  private static int lineCount(Path run) {
    try {
      Path metrics = run.resolve("metrics.jsonl");
      return Files.exists(metrics) ? Files.readAllLines(metrics).size() : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private static List<JsonNode> lines(Path run) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      out.add(json.readTree(line));
    }
    return out;
  }

  /** metrics.jsonl without timing (perf/*) and the Ray counters (distributed/*). */
  private static List<String> comparable(Path run) throws IOException {
    List<String> out = new ArrayList<>();
    for (JsonNode node : lines(run)) {
      ObjectNode copy = ((ObjectNode) node).deepCopy();
      List<String> drop = new ArrayList<>();
      copy.fieldNames()
          .forEachRemaining(
              n -> {
                if (n.startsWith("perf/") || n.startsWith("distributed/")) {
                  drop.add(n);
                }
              });
      copy.remove(drop);
      out.add(copy.toString());
    }
    return out;
  }

  /**
   * The tensor bytes of a checkpoint's model.safetensors (after the 8-byte length and the JSON
   * header, whose metadata key order may differ between runs).
   */
  private static byte[] weights(Path run, int step) throws IOException {
    byte[] all =
        Files.readAllBytes(
            run.resolve(String.format("checkpoints/step-%07d/model.safetensors", step)));
    long header =
        java.nio.ByteBuffer.wrap(all, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    return Arrays.copyOfRange(all, 8 + (int) header, all.length);
  }
}
