package org.tokenrl.trainer;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.ModelConfig;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPools;

/**
 * {@code tokenrl bench rollout}: rollout tokens/s of the in-process pool and of Ray pools with 1
 * and 2 actors on one machine, on a quickstart-sized step, plus the per-step costs the Ray pool
 * adds: Arrow IPC transport of the step's batch and a weight sync. The Ray pools are reached by
 * name ({@code distributed.backend = ray}), like the trainer does, so this needs the distributed
 * module built. Both Ray pools share one local head, started here and stopped at the end.
 */
final class RolloutBench {
  /** The quickstart's model and step shape: 32 prompts x 8 samples. */
  static final ModelConfig MODEL = new ModelConfig(98, 128, 2, 4, 512, 64);

  static final int PROMPTS = 32;
  static final int GROUP = 8;
  static final int PROMPT_LEN = 8;
  static final int NEW_TOKENS = 16;
  static final int WARMUP = 3;

  private RolloutBench() {}

  /** One measured pool: start-up, rollout speed and weight-sync cost. */
  private record Row(String pool, double startSeconds, double stepMillis, double syncMillis) {
    double tokensPerSecond() {
      return (double) PROMPTS * GROUP * NEW_TOKENS / (stepMillis / 1e3);
    }
  }

  static void main(String[] args) {
    boolean quick = Arrays.asList(args).contains("--quick");
    int steps = quick ? 2 : 5;
    Path root = TrainCommand.projectRoot();
    SamplingParams sampling = new SamplingParams(1.0, 0, 1.0, NEW_TOKENS, -1, false);
    List<PromptRequest> prompts = prompts();
    List<Row> rows = new ArrayList<>();
    System.out.printf(
        "rollout bench: model d%d L%d H%d V%d, %d prompts x %d samples x %d new tokens = %,d"
            + " tokens per step, median of %d steps after %d warm-up steps; OMP_NUM_THREADS=%s%n",
        MODEL.dModel(), MODEL.layers(), MODEL.heads(), MODEL.vocabSize(), PROMPTS, GROUP,
        NEW_TOKENS, PROMPTS * GROUP * NEW_TOKENS, steps, WARMUP, System.getenv("OMP_NUM_THREADS"));
    try (BufferAllocator allocator = new RootAllocator();
        Policy policy = Policy.create(MODEL, OptimizerConfig.defaults(1e-3), 1)) {
      Map<String, float[]> weights = policy.exportWeights();
      for (int workers : new int[] {1, 2}) {
        Config c = config(root, "distributed.backend=local", "rollout.workers=" + workers);
        rows.add(
            measure(
                "in-process, " + workers + (workers == 1 ? " thread" : " threads"),
                new RolloutPoolContext(policy, c, allocator), prompts, sampling, weights, steps,
                null));
      }
      byte[][] lastIpc = new byte[1][];
      List<RolloutPool> rayPools = new ArrayList<>();
      try {
        for (int actors : new int[] {1, 2}) {
          Config c = config(root, "distributed.backend=ray", "distributed.ray.actors=" + actors);
          rows.add(
              measure(
                  "ray, " + actors + (actors == 1 ? " actor" : " actors"),
                  new RolloutPoolContext(policy, c, allocator), prompts, sampling, weights, steps,
                  rayPools));
        }
      } finally {
        rayPools.forEach(RolloutPool::close); // the last close stops the local head
      }
      System.out.printf("%n%-24s %10s %12s %10s %16s%n", "pool", "start s", "tokens/s", "step ms",
          "weight sync ms");
      for (Row r : rows) {
        System.out.printf("%-24s %10.1f %,12.0f %10.1f %16.1f%n", r.pool(), r.startSeconds(),
            r.tokensPerSecond(), r.stepMillis(), r.syncMillis());
      }
      System.out.println(
          "(ray start includes the local head for the first pool; weight sync = encode + object"
              + " store put + every actor loading it, in-process = copying into each thread's"
              + " model)");
      transport(allocator, policy, prompts, sampling, steps);
    }
  }

  /**
   * Creates the pool, syncs weights, runs {@link #WARMUP} warm-up steps and {@code steps} timed ones. Ray pools
   * are kept open in {@code keepOpen} (so both share one head); others are closed here.
   */
  private static Row measure(
      String name,
      RolloutPoolContext context,
      List<PromptRequest> prompts,
      SamplingParams sampling,
      Map<String, float[]> weights,
      int steps,
      List<RolloutPool> keepOpen) {
    long t0 = System.nanoTime();
    RolloutPool pool = RolloutPools.create(context);
    double start = (System.nanoTime() - t0) / 1e9;
    if (keepOpen != null) {
      keepOpen.add(pool);
    }
    try {
      double[] sync = new double[steps];
      double[] step = new double[steps];
      pool.syncWeights(0, weights);
      for (int w = 0; w < WARMUP; w++) { // JIT and ND4J warm-up (in the actors' JVMs too)
        pool.generate(prompts, GROUP, sampling, -1 - w).close();
      }
      for (int s = 0; s < steps; s++) {
        long a = System.nanoTime();
        pool.syncWeights(s + 1, weights);
        long b = System.nanoTime();
        try (RolloutBatch batch = pool.generate(prompts, GROUP, sampling, s + 1)) {
          step[s] = (System.nanoTime() - b) / 1e6;
          if (batch.totalResponseTokens() != (long) PROMPTS * GROUP * NEW_TOKENS) {
            throw new IllegalStateException("unexpected batch " + batch);
          }
        }
        sync[s] = (b - a) / 1e6;
      }
      Row row = new Row(name, start, median(step), median(sync));
      System.out.printf("  %s: %,.0f tokens/s%n", name, row.tokensPerSecond());
      return row;
    } finally {
      if (keepOpen == null) {
        pool.close();
      }
    }
  }

  /** Serialize + deserialize one step's batch as the Ray pool does (actor -> driver). */
  private static void transport(
      BufferAllocator allocator,
      Policy policy,
      List<PromptRequest> prompts,
      SamplingParams sampling,
      int steps) {
    Config c =
        config(TrainCommand.projectRoot(), "distributed.backend=local", "rollout.workers=1");
    try (RolloutPool pool = RolloutPools.create(new RolloutPoolContext(policy, c, allocator));
        RolloutBatch batch = pool.generate(prompts, GROUP, sampling, 0)) {
      int reps = Math.max(10, steps * 4);
      double[] write = new double[reps];
      double[] read = new double[reps];
      int bytes = 0;
      for (int i = 0; i < reps; i++) {
        long a = System.nanoTime();
        byte[] ipc = batch.toIpcBytes();
        long b = System.nanoTime();
        try (RolloutBatch back = RolloutBatch.fromIpcBytes(allocator, ipc)) {
          read[i] = (System.nanoTime() - b) / 1e6;
        }
        write[i] = (b - a) / 1e6;
        bytes = ipc.length;
      }
      System.out.printf(
          "Arrow transport of one step's batch (%d rows, %,d bytes IPC): serialize %.2f ms +"
              + " deserialize %.2f ms = %.2f ms per step (median of %d)%n",
          batch.size(), bytes, median(write), median(read), median(write) + median(read), reps);
    }
  }

  private static Config config(Path root, String... overrides) {
    return ConfigLoader.load(
            root.resolve("configs"), root.resolve("configs/quickstart.conf"), List.of(overrides))
        .config();
  }

  private static List<PromptRequest> prompts() {
    Random rng = new Random(4);
    List<PromptRequest> out = new ArrayList<>();
    for (int p = 0; p < PROMPTS; p++) {
      int[] ids = rng.ints(PROMPT_LEN, 0, MODEL.vocabSize()).toArray();
      out.add(new PromptRequest(p, ids, ""));
    }
    return out;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
