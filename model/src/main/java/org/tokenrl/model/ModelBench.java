package org.tokenrl.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code tokenrl bench}: training throughput of {@link Policy#update} against a plain ND4J GEMM of
 * similar size measured in the same run (the ceiling), and sampling throughput with and without the
 * KV cache. Options: {@code --quick} (fewer repetitions), {@code --compare-grad} (also time
 * SameDiff's calculateGradients against the fit() path used by update, on the notes' config (a)).
 * Run with OMP_NUM_THREADS=1.
 */
public final class ModelBench {
  private ModelBench() {}

  /** One training benchmark setting: model, batch rows and sequence length. */
  private record TrainCase(String name, ModelConfig cfg, int batch, int seqLen) {}

  public static void main(String[] args) {
    List<String> opts = Arrays.asList(args);
    boolean quick = opts.contains("--quick");
    String omp = System.getenv("OMP_NUM_THREADS");
    if (!"1".equals(omp)) {
      System.out.println("warning: OMP_NUM_THREADS=" + omp + " (1 is about 2x faster on 2 cores)");
    }
    int steps = quick ? 3 : 8;
    List<TrainCase> cases =
        List.of(
            new TrainCase(
                "quickstart d128 L2 H4 V98", new ModelConfig(98, 128, 2, 4, 512, 64), 64, 16),
            new TrainCase("d256 L6 H8 V98", new ModelConfig(98, 256, 6, 8, 1024, 128), 16, 128));
    for (TrainCase c : cases) {
      trainBench(c, quick ? 1 : 2, steps);
    }
    sampleBench(cases.get(0).cfg(), 64, 16, 32, quick ? 1 : 3);
  }

  /** Analytic FLOPs of one update: 3x the forward GEMMs (one-hot embeddings, blocks, head). */
  static double trainingFlops(ModelConfig c, int batch, int seqLen) {
    double d = c.dModel();
    double tokens = (double) batch * seqLen;
    double perTokenParams =
        c.vocabSize() * d
            + c.maxSeqLen() * d
            + c.layers() * (4 * d * d + 2 * d * c.dFF())
            + d * c.vocabSize();
    double attention = c.layers() * 4.0 * batch * seqLen * (double) seqLen * d; // QK^T and PV
    return 3 * (2 * perTokenParams * tokens + attention);
  }

  private static void trainBench(TrainCase c, int warmup, int steps) {
    try (Policy p = Policy.create(c.cfg(), OptimizerConfig.defaults(1e-4), 1)) {
      Random rng = new Random(2);
      int[][] prompts = new int[c.batch()][];
      int[][] responses = new int[c.batch()][];
      double[][] coef = new double[c.batch()][];
      for (int i = 0; i < c.batch(); i++) {
        prompts[i] = new int[] {rng.nextInt(c.cfg().vocabSize())};
        responses[i] = rng.ints(c.seqLen(), 0, c.cfg().vocabSize()).toArray(); // T = seqLen slots
        coef[i] = new double[c.seqLen()];
        Arrays.fill(coef[i], -1.0 / (c.batch() * c.seqLen()));
      }
      for (int i = 0; i < warmup; i++) {
        p.update(prompts, responses, coef, null, 1.0);
      }
      double[] times = new double[steps];
      for (int i = 0; i < steps; i++) {
        long t0 = System.nanoTime();
        p.update(prompts, responses, coef, null, 1.0);
        times[i] = (System.nanoTime() - t0) / 1e9;
      }
      double sec = median(times);
      double[] fwd = new double[steps];
      for (int i = 0; i < steps; i++) {
        long t0 = System.nanoTime();
        p.score(prompts, responses, 1.0);
        fwd[i] = (System.nanoTime() - t0) / 1e9;
      }
      double flops = trainingFlops(c.cfg(), c.batch(), c.seqLen());
      double gflops = flops / sec / 1e9;
      long rows = (long) c.batch() * c.seqLen();
      double ceiling = gemmGflops(rows, c.cfg().dModel(), c.cfg().dFF(), Math.max(3, steps));
      System.out.printf(
          "train  %-28s params=%,d batch=%d seq=%d: update %.1f ms (score %.1f ms), %,.0f tokens/s,"
              + " %.2f GFLOP/step, %.1f GFLOP/s; ND4J mmul [%d x %d]x[%d x %d] %.1f GFLOP/s;"
              + " ratio %.0f%%%n",
          c.name(),
          c.cfg().parameterCount(),
          c.batch(),
          c.seqLen(),
          sec * 1e3,
          median(fwd) * 1e3,
          rows / sec,
          flops / 1e9,
          gflops,
          rows,
          c.cfg().dModel(),
          c.cfg().dModel(),
          c.cfg().dFF(),
          ceiling,
          100 * gflops / ceiling);
    }
  }

  /** Median GFLOP/s of a float32 [m, k] x [k, n] ND4J mmul. */
  static double gemmGflops(long m, long k, long n, int reps) {
    INDArray a = Nd4j.rand(DataType.FLOAT, m, k);
    INDArray b = Nd4j.rand(DataType.FLOAT, k, n);
    INDArray out = Nd4j.create(DataType.FLOAT, m, n);
    double[] times = new double[reps * 5];
    for (int i = -2; i < times.length; i++) {
      long t0 = System.nanoTime();
      a.mmul(b, out);
      if (i >= 0) {
        times[i] = (System.nanoTime() - t0) / 1e9;
      }
    }
    return 2.0 * m * k * n / median(times) / 1e9;
  }

  private static void sampleBench(
      ModelConfig cfg, int batch, int promptLen, int newTokens, int reps) {
    try (Policy p = Policy.create(cfg, OptimizerConfig.defaults(1e-4), 3)) {
      Random rng = new Random(4);
      int[][] prompts = new int[batch][];
      long[] seeds = new long[batch];
      for (int i = 0; i < batch; i++) {
        prompts[i] = rng.ints(promptLen, 0, cfg.vocabSize()).toArray();
        seeds[i] = i;
      }
      SamplingParams params = new SamplingParams(1.0, 0, 1.0, newTokens, -1, false);
      double cached = timeGeneration(() -> p.generate(prompts, params, seeds), reps);
      double full = timeGeneration(() -> p.generateNoCache(prompts, params, seeds), reps);
      double tokens = (double) batch * newTokens;
      System.out.printf(
          "sample batch=%d prompt=%d new=%d: KV cache %.0f ms (%,.0f tokens/s), recompute %.0f ms"
              + " (%,.0f tokens/s), speed-up %.1fx%n",
          batch,
          promptLen,
          newTokens,
          cached * 1e3,
          tokens / cached,
          full * 1e3,
          tokens / full,
          full / cached);
    }
  }

  private static double timeGeneration(Runnable run, int reps) {
    run.run(); // warm-up
    double[] times = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      run.run();
      times[i] = (System.nanoTime() - t0) / 1e9;
    }
    return median(times);
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
