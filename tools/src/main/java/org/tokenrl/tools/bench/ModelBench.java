package org.tokenrl.tools.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * The policy engine's speed on the five cases of issue 10, measured through {@link Policy}'s public
 * API only (create, update, generate, close), so the numbers compare directly with {@code
 * experiments/bench/torch_model_bench.py}, which runs the same cases in PyTorch:
 *
 * <ul>
 *   <li>train: one {@link Policy#update} of B rows, each a 1-token prompt and a T-token response,
 *       with dLoss/dlogp = -1/(B·T) for every token (the SFT loss -mean logp): forward, log-probs
 *       of the targets, backward and AdamW over every weight. Median step time.
 *   <li>sample: {@link Policy#generate} of exactly N new tokens for B random P-token prompts
 *       (multinomial sampling at temperature 1, no EOS, per-row seeds): prefill + KV-cache decode.
 *       tokens/s counts new tokens.
 * </ul>
 *
 * The CLI side (table, JSON, running PyTorch) lives in the trainer's BenchCommand.
 */
public final class ModelBench {
  private ModelBench() {}

  /** What a case reports; {@link #key} is its JSON field name. */
  public enum Metric {
    TRAIN_STEP_MS("train_step_ms", "ms/step"),
    TOKENS_PER_SEC("tokens_per_sec", "tokens/s");

    public final String key;
    public final String unit;

    Metric(String key, String unit) {
      this.key = key;
      this.unit = unit;
    }
  }

  /** A model the cases run on: a name and a factory from seed to a fresh policy. */
  public record BenchModel(String name, int vocabSize, LongFunction<Policy> factory) {}

  /**
   * One case. For train cases {@code length} is T (response tokens a row); for sample cases it is
   * the prompt length P and {@code newTokens} is N. {@code large} cases take fewer repetitions.
   */
  public record BenchCase(
      String name,
      Metric metric,
      BenchModel model,
      int batch,
      int length,
      int newTokens,
      boolean large) {
    boolean isTrain() {
      return metric == Metric.TRAIN_STEP_MS;
    }
  }

  /** A measured value, or NaN with the reason the case failed (e.g. out of native memory). */
  public record Result(BenchCase benchCase, double value, String error) {
    public boolean available() {
      return error == null;
    }
  }

  private static final OptimizerConfig OPTIMIZER = OptimizerConfig.defaults(1e-4);

  /** tokenrl's character-level GPT (tied embedding, learned positions, pre-LN, GELU, d_ff = 4d). */
  static BenchModel gpt(int dModel, int layers, int heads, int maxSeqLen) {
    GptConfig cfg = new GptConfig(98, dModel, layers, heads, 4 * dModel, maxSeqLen);
    return new BenchModel(
        "gpt-d" + dModel + "-L" + layers, 98, seed -> Policy.create(cfg, OPTIMIZER, seed));
  }

  /** SmolLM2-135M's shape with random weights ({@link LlamaConfig#smollm2135m()}). */
  static BenchModel llama135m() {
    LlamaConfig cfg = LlamaConfig.smollm2135m();
    return new BenchModel(
        "llama-135m", cfg.vocabSize(), seed -> Policy.create(cfg, OPTIMIZER, seed));
  }

  /** The five cases, in the order and with its exact names. */
  public static List<BenchCase> cases() {
    BenchModel small = gpt(128, 2, 4, 64);
    BenchModel deep = gpt(256, 6, 8, 128);
    BenchModel llama = llama135m();
    return List.of(
        new BenchCase("gpt-d128-L2 train B64 T16", Metric.TRAIN_STEP_MS, small, 64, 16, 0, false),
        new BenchCase("gpt-d256-L6 train B16 T128", Metric.TRAIN_STEP_MS, deep, 16, 128, 0, true),
        new BenchCase(
            "gpt-d128-L2 sample B64 P16 N32", Metric.TOKENS_PER_SEC, small, 64, 16, 32, false),
        new BenchCase("llama-135m train B8 T64", Metric.TRAIN_STEP_MS, llama, 8, 64, 0, true),
        new BenchCase(
            "llama-135m sample B16 P32 N32", Metric.TOKENS_PER_SEC, llama, 16, 32, 32, true));
  }

  /**
   * Warm-up, then the median of several repetitions; {@code quick} takes fewer. Small cases warm up
   * for at least 2 repetitions and {@link #WARMUP_SECONDS} (a JVM compiles its hot paths for
   * seconds: measured, the first seconds of the small sampling case ran up to 2x slower than the
   * steady state a training run lives in) and take the median of 9 (quick: 1 + 3); large ones 1 + 3
   * (quick 1 + 2). The PyTorch script applies the same rule. {@code cpuTime} times with the CPU
   * time of the thread running the case instead of wall time: with one BLAS thread all the work
   * runs on it, so other jobs' load, the hypervisor's steal time and the JVM's compiler and GC
   * threads stay out of the number (the PyTorch script uses its main thread's time likewise).
   */
  public static Result run(BenchCase c, boolean quick, boolean cpuTime) {
    LongSupplier clock = cpuTime ? ModelBench::threadCpuNanos : System::nanoTime;
    int warmup = quick || c.large() ? 1 : 2;
    double warmupSeconds = quick || c.large() ? 0 : WARMUP_SECONDS;
    int reps = quick ? (c.large() ? 2 : 3) : (c.large() ? 3 : 9);
    try (Policy p = c.model().factory().apply(1)) {
      double value =
          c.isTrain()
              ? trainStepMs(p, c, clock, new Reps(warmup, warmupSeconds, reps))
              : tokensPerSec(p, c, clock, new Reps(warmup, warmupSeconds, reps));
      return new Result(c, value, null);
    } catch (RuntimeException | OutOfMemoryError e) {
      // One failing case (typically memory on a small machine) should not hide the others.
      return new Result(c, Double.NaN, "failed: " + e);
    }
  }

  private static double trainStepMs(Policy p, BenchCase c, LongSupplier clock, Reps reps) {
    Random rng = new Random(2);
    int vocab = c.model().vocabSize();
    int[][] prompts = new int[c.batch()][];
    int[][] responses = new int[c.batch()][];
    double[][] coef = new double[c.batch()][];
    for (int i = 0; i < c.batch(); i++) {
      prompts[i] = new int[] {rng.nextInt(vocab)};
      responses[i] = rng.ints(c.length(), 0, vocab).toArray();
      coef[i] = new double[c.length()];
      Arrays.fill(coef[i], -1.0 / ((double) c.batch() * c.length())); // dLoss/dlogp of -mean logp
    }
    return 1e3 * medianSeconds(() -> p.update(prompts, responses, coef, null, 1.0), clock, reps);
  }

  private static double tokensPerSec(Policy p, BenchCase c, LongSupplier clock, Reps reps) {
    Random rng = new Random(4);
    int[][] prompts = new int[c.batch()][];
    long[] seeds = new long[c.batch()];
    for (int i = 0; i < c.batch(); i++) {
      prompts[i] = rng.ints(c.length(), 0, c.model().vocabSize()).toArray();
      seeds[i] = i;
    }
    SamplingParams params = new SamplingParams(1.0, 0, 1.0, c.newTokens(), -1, false);
    double sec = medianSeconds(() -> p.generate(prompts, params, seeds), clock, reps);
    return (double) c.batch() * c.newTokens() / sec;
  }

  /**
   * Warm-up: at least {@code warmup} runs and {@code warmupSeconds} of wall time; then {@code n}.
   */
  private record Reps(int warmup, double warmupSeconds, int n) {}

  /** Warm-up of small cases, in seconds of wall time (the PyTorch script's WARMUP_SECONDS). */
  public static final double WARMUP_SECONDS = 5.0;

  private static double medianSeconds(Runnable run, LongSupplier clock, Reps reps) {
    long start = System.nanoTime();
    int warmed = 0;
    while (warmed < reps.warmup() || (System.nanoTime() - start) / 1e9 < reps.warmupSeconds()) {
      run.run();
      warmed++;
    }
    double[] times = new double[reps.n()];
    for (int i = 0; i < times.length; i++) {
      long t0 = clock.getAsLong();
      run.run();
      times[i] = (clock.getAsLong() - t0) / 1e9;
    }
    Arrays.sort(times);
    return times[times.length / 2];
  }

  /** CPU time of the calling thread (with OMP_NUM_THREADS=1 OpenBLAS computes on it too). */
  private static long threadCpuNanos() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  /**
   * The OpenBLAS this process mapped, e.g. "OpenBLAS 0.3.21 (system library, loaded by javacpp from
   * ~/.javacpp/cache-.../libopenblas.so.0)". javacpp copies a system library into its cache, so the
   * path alone does not tell; the version is the "OpenBLAS x.y.z" string the library carries (the
   * preset does not expose openblas_get_config()).
   */
  public static String openBlasInUse() {
    Nd4j.create(DataType.FLOAT, 1); // loads the native backend and its BLAS
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
        int slash = line.indexOf('/');
        if (slash < 0 || !line.substring(slash).matches(".*/libopenblas[^/]*")) {
          continue;
        }
        Path file = Path.of(line.substring(slash));
        Matcher v =
            Pattern.compile("OpenBLAS \\d+\\.\\d+\\.\\d+")
                .matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
        String version = v.find() ? v.group() : "OpenBLAS (version unknown)";
        boolean bundled = file.toString().matches(".*/openblas-[^/]*\\.jar/.*");
        return version
            + (bundled ? " (bundled with ND4J's javacpp preset, " : " (system library, loaded as ")
            + file
            + ")";
      }
      return "no libopenblas mapped in this process";
    } catch (IOException | RuntimeException e) {
      return "unknown (cannot read /proc/self/maps: " + e.getMessage() + ")";
    }
  }
}
