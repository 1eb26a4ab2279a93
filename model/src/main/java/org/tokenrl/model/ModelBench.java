package org.tokenrl.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

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

  /**
   * A model the cases run on: a name and a factory from seed to a fresh policy; {@code factory}
   * is null when this engine cannot build the model yet ({@code missing} says why).
   */
  public record BenchModel(String name, int vocabSize, LongFunction<Policy> factory, String missing) {}

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

  /** A measured value, or NaN with the reason the case could not run. */
  public record Result(BenchCase benchCase, double value, String missing) {
    public boolean available() {
      return missing == null;
    }
  }

  private static final OptimizerConfig OPTIMIZER = OptimizerConfig.defaults(1e-4);

  /** tokenrl's character-level GPT (tied embedding, learned positions, pre-LN, GELU, d_ff = 4d). */
  static BenchModel gpt(int dModel, int layers, int heads, int maxSeqLen) {
    ModelConfig cfg = new ModelConfig(98, dModel, layers, heads, 4 * dModel, maxSeqLen);
    return new BenchModel(
        "gpt-d" + dModel + "-L" + layers, 98, seed -> Policy.create(cfg, OPTIMIZER, seed), null);
  }

  /**
   * SmolLM2-135M's shape with random weights ({@link LlamaConfig#smollm2135m()}). The one place
   * that needs the engine's llama architecture: until {@code Policy.create(LlamaConfig, ...)}
   * exists, the llama cases report "not available".
   */
  static BenchModel llama135m() {
    return new BenchModel(
        "llama-135m",
        LlamaConfig.smollm2135m().vocabSize(),
        null,
        "this engine has no llama architecture yet (Policy.create(LlamaConfig, ...))");
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
   * Warm-up, then the median of several repetitions; {@code quick} takes fewer. Repetition counts
   * match the PyTorch script's: small cases 2 + 7 (quick 1 + 3), large ones 1 + 3 (quick 1 + 2).
   */
  public static Result run(BenchCase c, boolean quick) {
    if (c.model().factory() == null) {
      return new Result(c, Double.NaN, c.model().missing());
    }
    int warmup = quick || c.large() ? 1 : 2;
    int reps = quick ? (c.large() ? 2 : 3) : (c.large() ? 3 : 7);
    try (Policy p = c.model().factory().apply(1)) {
      double value = c.isTrain() ? trainStepMs(p, c, warmup, reps) : tokensPerSec(p, c, warmup, reps);
      return new Result(c, value, null);
    }
  }

  private static double trainStepMs(Policy p, BenchCase c, int warmup, int reps) {
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
    return 1e3 * medianSeconds(() -> p.update(prompts, responses, coef, null, 1.0), warmup, reps);
  }

  private static double tokensPerSec(Policy p, BenchCase c, int warmup, int reps) {
    Random rng = new Random(4);
    int[][] prompts = new int[c.batch()][];
    long[] seeds = new long[c.batch()];
    for (int i = 0; i < c.batch(); i++) {
      prompts[i] = rng.ints(c.length(), 0, c.model().vocabSize()).toArray();
      seeds[i] = i;
    }
    SamplingParams params = new SamplingParams(1.0, 0, 1.0, c.newTokens(), -1, false);
    double sec = medianSeconds(() -> p.generate(prompts, params, seeds), warmup, reps);
    return (double) c.batch() * c.newTokens() / sec;
  }

  private static double medianSeconds(Runnable run, int warmup, int reps) {
    for (int i = 0; i < warmup; i++) {
      run.run();
    }
    double[] times = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      run.run();
      times[i] = (System.nanoTime() - t0) / 1e9;
    }
    Arrays.sort(times);
    return times[reps / 2];
  }

  /**
   * The OpenBLAS this process mapped, e.g. "OpenBLAS 0.3.21 /usr/lib/.../libopenblasp-r0.3.21.so"
   * when the launcher found Debian's, or the javacpp preset's bundled 0.3.19 under ~/.javacpp. The
   * preset does not expose openblas_get_config(), so the version is read from the file's real path.
   */
  public static String openBlasInUse() {
    Nd4j.create(DataType.FLOAT, 1); // loads the native backend and its BLAS
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
        int slash = line.indexOf('/');
        if (slash < 0 || !line.substring(slash).matches(".*/libopenblas[^/]*")) {
          continue;
        }
        Path real = Path.of(line.substring(slash)).toRealPath();
        Matcher v = Pattern.compile("(?:openblas-|-r)(\\d+\\.\\d+\\.\\d+)").matcher(real.toString());
        String version = v.find() ? "OpenBLAS " + v.group(1) : "OpenBLAS (version unknown)";
        String origin = real.toString().contains(".javacpp") ? " bundled with ND4J" : "";
        return version + origin + ": " + real;
      }
      return "no libopenblas mapped in this process";
    } catch (IOException | RuntimeException e) {
      return "unknown (cannot read /proc/self/maps: " + e.getMessage() + ")";
    }
  }
}
