package org.tokenrl.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.DurableFiles;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.Plugins;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.core.ResolvedConfig;
import org.tokenrl.core.Threads;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.trainer.loop.TrainingRun;
import org.tokenrl.trainer.setup.StartChecks;

/**
 * {@code tokenrl bench grpo-step}: the RL step of a run config (by default the SmolLM2 job,
 * configs/smollm2-arith.conf: SmolLM2-135M-Instruct, LoRA r8 on the 7 projections, 4 prompts x 8
 * samples, 24 new tokens) timed through the real training path: a short run of {@code steps} steps
 * with a fixed seed (so fixed prompts), no evaluation before training, the step's own phase timers
 * read back from metrics.jsonl. Whatever makes the trainer faster is measured as it is.
 *
 * <p>The BLAS thread count is fixed when the native libraries load, so each thread count runs in a
 * child JVM started with this JVM's flags and {@code OMP_NUM_THREADS} set; the child also reports
 * its peak resident memory (VmHWM of /proc/self/status), which covers loading the model, the steps
 * and the final checkpoint.
 */
public final class GrpoStepBench {
  static final String RESULT = "grpo-step-bench-result ";
  private static final ObjectMapper JSON = new ObjectMapper();

  private GrpoStepBench() {}

  /** One child run: medians over the timed steps (after the warm-up ones). */
  public record Result(
      int threads,
      int timedSteps,
      double stepSeconds,
      double rolloutSeconds,
      double samplingTokensPerSecond,
      double updateSeconds,
      long peakRssKb) {

    ObjectNode toJson() {
      ObjectNode o = JSON.createObjectNode();
      o.put("threads", threads);
      o.put("timed_steps", timedSteps);
      o.put("step_seconds", round(stepSeconds, 4));
      o.put("rollout_seconds", round(rolloutSeconds, 4));
      o.put("sampling_tokens_per_sec", round(samplingTokensPerSecond, 1));
      o.put("update_seconds", round(updateSeconds, 4));
      o.put("peak_rss_mb", round(peakRssKb / 1024.0, 1));
      return o;
    }
  }

  /**
   * Runs the config once per thread count and prints a table (or JSON lines) with the ratios of
   * each run against the first (the baseline, 1 thread by default).
   */
  public static List<Result> run(
      Path config,
      List<String> overrides,
      int steps,
      int warmup,
      int[] threads,
      boolean json,
      PrintStream out)
      throws IOException, InterruptedException {
    List<Result> results = new ArrayList<>();
    if (!json) {
      out.printf(
          "grpo-step bench: %s%s, %d steps per run (medians of steps %d-%d), thread counts %s, %d"
              + " cores, load average %.2f at start%n",
          ConfigLoader.display(config),
          overrides.isEmpty() ? "" : " " + String.join(" ", overrides),
          steps,
          warmup + 1,
          steps,
          Arrays.toString(threads),
          Threads.cores(),
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
    for (int t : threads) {
      Result r = child(config, overrides, steps, warmup, t);
      results.add(r);
      if (json) {
        ObjectNode o = r.toJson();
        if (results.size() > 1) {
          Result base = results.get(0);
          o.put("baseline_threads", base.threads());
          o.put("step_speedup", round(base.stepSeconds() / r.stepSeconds(), 3));
          o.put(
              "sampling_speedup",
              round(r.samplingTokensPerSecond() / base.samplingTokensPerSecond(), 3));
          o.put("update_speedup", round(base.updateSeconds() / r.updateSeconds(), 3));
        }
        out.println(JSON.writeValueAsString(o));
      } else {
        out.printf(
            "threads %2d: step %7.2f s   sampling %8.1f tokens/s (%.2f s)   update %7.2f s   peak"
                + " RSS %,.0f MB%n",
            r.threads(),
            r.stepSeconds(),
            r.samplingTokensPerSecond(),
            r.rolloutSeconds(),
            r.updateSeconds(),
            r.peakRssKb() / 1024.0);
      }
    }
    if (!json && results.size() > 1) {
      Result base = results.get(0);
      for (Result r : results.subList(1, results.size())) {
        out.printf(
            "%d vs %d threads: step %.2fx faster, sampling %.2fx, update %.2fx%n",
            r.threads(),
            base.threads(),
            base.stepSeconds() / r.stepSeconds(),
            r.samplingTokensPerSecond() / base.samplingTokensPerSecond(),
            base.updateSeconds() / r.updateSeconds());
      }
    }
    return results;
  }

  /** The overrides that make a run a benchmark: fixed length, no evaluation to speak of. */
  static List<String> benchOverrides(Path runDir, int steps) {
    return List.of(
        "trainer.steps=" + steps,
        "sft.steps=0",
        "trainer.eval_before_train=false",
        "trainer.eval_every=0",
        "trainer.eval_size=1",
        "trainer.checkpoint_every=0",
        "trainer.log_every=1000000",
        "trainer.save_rollouts=off",
        "tensorboard.samples=0",
        "rollout.workers=1",
        "distributed.backend=local",
        "distributed.async=false",
        "trainer.run_dir=\"" + runDir.toString().replace("\\", "/") + "\"");
  }

  private static Result child(Path config, List<String> overrides, int steps, int warmup, int t)
      throws IOException, InterruptedException {
    Path runDir = Files.createTempDirectory("tokenrl-grpo-bench-").resolve("run");
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(GrpoStepBench.class.getName());
    cmd.add(config.toAbsolutePath().toString());
    cmd.addAll(overrides);
    cmd.addAll(benchOverrides(runDir, steps)); // last: they win
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", Integer.toString(t));
    pb.environment().remove("OPENBLAS_NUM_THREADS"); // would override OMP_NUM_THREADS
    Process p = pb.start();
    long rss = -1;
    StringBuilder log = new StringBuilder();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith(RESULT)) {
          rss = Long.parseLong(line.substring(RESULT.length()).strip());
        } else {
          log.append(line).append('\n');
        }
      }
    }
    int code = p.waitFor();
    if (code != 0 || rss < 0) {
      throw new IllegalStateException(
          "the benchmark run with OMP_NUM_THREADS=" + t + " failed (exit " + code + "):\n" + log);
    }
    Result result = read(runDir.resolve("metrics.jsonl"), t, warmup, rss);
    deleteTree(runDir.getParent());
    return result;
  }

  /** Medians of the RL steps after the first {@code warmup} in a run's metrics.jsonl. */
  static Result read(Path metrics, int threads, int warmup, long rssKb) throws IOException {
    List<double[]> rows = new ArrayList<>(); // step, rollout, update, tokens
    for (String line : Files.readAllLines(metrics)) {
      JsonNode m = JSON.readTree(line);
      if (!m.has(Metrics.PERF_TIME_STEP)) {
        continue; // evaluation lines
      }
      rows.add(
          new double[] {
            m.path(Metrics.PERF_TIME_STEP).asDouble(),
            m.path(Metrics.phaseTime("rollout")).asDouble(),
            m.path(Metrics.phaseTime("update")).asDouble(),
            m.path(Metrics.PERF_ROLLOUT_TOKENS).asDouble()
          });
    }
    List<double[]> timed =
        rows.subList(Math.min(warmup, Math.max(0, rows.size() - 1)), rows.size());
    if (timed.isEmpty()) {
      throw new IllegalStateException(metrics + " holds no RL step");
    }
    double[] step = timed.stream().mapToDouble(r -> r[0]).toArray();
    double[] rollout = timed.stream().mapToDouble(r -> r[1]).toArray();
    double[] update = timed.stream().mapToDouble(r -> r[2]).toArray();
    double[] rate = timed.stream().mapToDouble(r -> r[3] / r[1]).toArray();
    return new Result(
        threads, timed.size(), median(step), median(rollout), median(rate), median(update), rssKb);
  }

  /**
   * The child: one short training run through the normal entry (config checks, TrainingRun), then
   * its peak resident memory on stdout. Arguments: the run config, then key=value overrides.
   */
  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    List<String> overrides = List.of(args).subList(1, args.length);
    ResolvedConfig resolved = ConfigLoader.load(configRoot(file), file, overrides);
    Plugins.install(resolved.config());
    var start = StartChecks.run(resolved.config(), ProjectRoot.get());
    Path path =
        RunDirectory.pathFor(
            resolved.config().getString("trainer.run_dir"),
            resolved.config().getString("run.name"));
    RunDirectory dir = RunDirectory.create(path);
    DurableFiles.writeString(dir.config(), resolved.render());
    new TrainingRun(start, dir, org.tokenrl.runlog.Console.system()).run(false);
    System.out.println(RESULT + peakRssKb());
    System.exit(0); // ND4J and Arrow threads would keep the JVM alive
  }

  /** The configs directory a run file's includes resolve against, as {@code train} finds it. */
  private static Path configRoot(Path file) {
    for (Path p = file.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("base.conf"))) {
        return p;
      }
      if (Files.isRegularFile(p.resolve("configs/base.conf"))) {
        return p.resolve("configs");
      }
    }
    return ProjectRoot.get().resolve("configs");
  }

  /** VmHWM of /proc/self/status in kB, or 0 where there is no /proc. */
  static long peakRssKb() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return 0;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static void deleteTree(Path root) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
