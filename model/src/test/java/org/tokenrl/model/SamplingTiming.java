package org.tokenrl.model;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * Not a test: times the sampling of one step of the SmolLM2 job's shape (random weights of
 * SmolLM2-135M's config, LoRA r8/α16 on the 7 projections, 4 prompts × 8 samples, ~45-token
 * prompts, 24 new tokens, no stop token) in thread CPU seconds of the calling thread (with one BLAS
 * thread, all of the work) and wall seconds. Run as {@link UpdateTiming} is.
 */
public final class SamplingTiming {
  private SamplingTiming() {}

  public static void main(String[] args) {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    LoraConfig lora =
        new LoraConfig(
            8,
            16.0,
            0.0,
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"));
    Random rng = new Random(1);
    LlamaConfig cfg = LlamaConfig.smollm2135m();
    int groups = 4;
    int g = 8;
    int[][] prompts = new int[groups * g][];
    long[] seeds = new long[groups * g];
    for (int p = 0; p < groups; p++) {
      int[] prompt = rng.ints(42 + rng.nextInt(7), 0, cfg.vocabSize()).toArray();
      for (int k = 0; k < g; k++) {
        prompts[p * g + k] = prompt;
        seeds[p * g + k] = 100 + p * g + k;
      }
    }
    SamplingParams params = new SamplingParams(1.0, 0, 1.0, 24, -1, false);
    try (Policy policy = Policy.create(cfg, OptimizerConfig.defaults(1e-4), 1, lora)) {
      policy.generate(prompts, params, seeds); // warm-up (JIT, workspaces)
      double[] cpu = new double[reps];
      double[] wall = new double[reps];
      for (int r = 0; r < reps; r++) {
        long c0 = cpu();
        long w0 = System.nanoTime();
        policy.generate(prompts, params, seeds);
        cpu[r] = (cpu() - c0) / 1e9;
        wall[r] = (System.nanoTime() - w0) / 1e9;
      }
      System.out.printf(
          "sampling 32 rows x 24 tokens: %.2f s thread CPU, %.2f s wall (medians of %d)%n",
          median(cpu), median(wall), reps);
    }
  }

  private static long cpu() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static double median(double[] x) {
    double[] s = x.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
