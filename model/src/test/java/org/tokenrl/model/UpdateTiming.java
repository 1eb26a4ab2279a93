package org.tokenrl.model;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * Not a test: times one RL update of the SmolLM2 job's shape (random weights of SmolLM2-135M's
 * config, LoRA r8/α16 on the 7 projections, 4 prompts × 8 samples, ~45-token prompts, ~20-token
 * responses, micro_batch_tokens 1024) before (padded rows, score then update: two forward passes)
 * and after (shared prompts, packed rows, one pass), in thread CPU seconds. With one BLAS thread,
 * after {@code mvn -o -pl model -am test-compile} and the test classpath written by {@code
 * dependency:build-classpath}:
 *
 * <pre>
 *   OMP_NUM_THREADS=1 java -cp model/target/classes:model/target/test-classes:$CP \
 *       org.tokenrl.model.UpdateTiming [repetitions]
 * </pre>
 */
public final class UpdateTiming {
  private UpdateTiming() {}

  public static void main(String[] args) {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 1;
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
    int[][] responses = new int[groups * g][];
    for (int p = 0; p < groups; p++) {
      int[] prompt = rng.ints(42 + rng.nextInt(7), 0, cfg.vocabSize()).toArray();
      for (int k = 0; k < g; k++) {
        prompts[p * g + k] = prompt;
        responses[p * g + k] = rng.ints(14 + rng.nextInt(13), 0, cfg.vocabSize()).toArray();
      }
    }
    UpdateObjective objective =
        s -> {
          double[][] c = new double[s.logprobs().length][];
          for (int i = 0; i < c.length; i++) {
            c[i] = new double[s.logprobs()[i].length];
            Arrays.fill(c[i], -1e-3);
          }
          return new UpdateObjective.Coefficients(c, null);
        };
    try (Policy policy = Policy.create(cfg, OptimizerConfig.defaults(1e-4), 1, lora)) {
      policy.setPassTokens(1024);
      policy.update(prompts, responses, 1.0, objective); // warm-up (JIT, workspaces)
      for (PassLayout layout : new PassLayout[] {PassLayout.PADDED, PassLayout.SHARED_PREFIX}) {
        policy.setPassLayout(layout);
        long slots = policy.passSlots(prompts, responses);
        int passes = policy.passes(prompts, responses).size();
        double[] twoPass = new double[reps];
        double[] onePass = new double[reps];
        for (int r = 0; r < reps; r++) {
          long t0 = cpu();
          TokenScores s = policy.score(prompts, responses, 1.0);
          UpdateObjective.Coefficients c = objective.coefficients(s);
          policy.update(prompts, responses, c.gradLogp(), null, null, 1.0);
          long t1 = cpu();
          policy.update(prompts, responses, 1.0, objective);
          long t2 = cpu();
          twoPass[r] = (t1 - t0) / 1e9;
          onePass[r] = (t2 - t1) / 1e9;
        }
        System.out.printf(
            "%s: %d slots in %d passes; score+update %.2f s, one-pass update %.2f s (median of %d,"
                + " thread CPU s)%n",
            layout, slots, passes, median(twoPass), median(onePass), reps);
      }
    }
  }

  /** CPU time of this thread: with one BLAS thread all the work runs on it (load-independent). */
  private static long cpu() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static double median(double[] x) {
    double[] s = x.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
