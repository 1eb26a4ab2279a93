package org.tokenrl.tools.bench;

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
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.arch.GptConfig;
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
public final class RolloutBench {
  /** The quickstart's model and step shape: 32 prompts x 8 samples. */
  static final GptConfig MODEL = new GptConfig(98, 128, 2, 4, 512, 64);

  static final int PROMPTS = 32;
  static final int GROUP = 8;
  static final int PROMPT_LEN = 8;
  static final int NEW_TOKENS = 16;

  /** Warm-up steps per pool: a fresh actor JVM needs about 10 steps of JIT to settle. */
  static final int WARMUP = 10;

  private RolloutBench() {}

  /** One pool under test and its timings (milliseconds), filled round by round. */
  private record Entry(
      String name, RolloutPool pool, double startSeconds, double[] step, double[] sync) {
    double tokensPerSecond(double millis) {
      return (double) PROMPTS * GROUP * NEW_TOKENS / (millis / 1e3);
    }
  }

  public static void run(boolean quick) {
    int rounds = quick ? 3 : 8;
    SamplingParams sampling = new SamplingParams(1.0, 0, 1.0, NEW_TOKENS, -1, false);
    List<PromptRequest> prompts = prompts();
    System.out.printf(
        "rollout bench: model d%d L%d H%d V%d, %d prompts x %d samples x %d new tokens = %,d"
            + " tokens per step; %d warm-up steps per pool, then %d rounds of one step per pool"
            + " (interleaved, so background load hits all pools alike); OMP_NUM_THREADS=%s%n",
        MODEL.dModel(),
        MODEL.layers(),
        MODEL.heads(),
        MODEL.vocabSize(),
        PROMPTS,
        GROUP,
        NEW_TOKENS,
        PROMPTS * GROUP * NEW_TOKENS,
        WARMUP,
        rounds,
        System.getenv("OMP_NUM_THREADS"));
    List<Entry> entries = new ArrayList<>();
    try (BufferAllocator allocator = new RootAllocator();
        Policy policy = Policy.create(MODEL, OptimizerConfig.defaults(1e-3), 1)) {
      Map<String, float[]> weights = policy.exportWeights();
      try {
        entries.add(
            open(
                "in-process, 1 thread",
                policy,
                allocator,
                rounds,
                "distributed.backend=local",
                "rollout.workers=1"));
        entries.add(
            open(
                "in-process, 2 threads",
                policy,
                allocator,
                rounds,
                "distributed.backend=local",
                "rollout.workers=2"));
        // Both Ray pools share one local head: the first one starts it, the last close stops it.
        entries.add(
            open(
                "ray, 1 actor",
                policy,
                allocator,
                rounds,
                "distributed.backend=ray",
                "distributed.ray.actors=1"));
        entries.add(
            open(
                "ray, 2 actors",
                policy,
                allocator,
                rounds,
                "distributed.backend=ray",
                "distributed.ray.actors=2"));
        for (Entry e : entries) {
          e.pool().syncWeights(0, weights);
          for (int w = 0; w < WARMUP; w++) { // JIT and ND4J warm-up (in the actors' JVMs too)
            e.pool().generate(prompts, GROUP, sampling, -1 - w).close();
          }
        }
        for (int r = 0; r < rounds; r++) {
          for (Entry e : entries) {
            long a = System.nanoTime();
            e.pool().syncWeights(r + 1, weights);
            long b = System.nanoTime();
            try (RolloutBatch batch = e.pool().generate(prompts, GROUP, sampling, r + 1)) {
              e.step()[r] = (System.nanoTime() - b) / 1e6;
              if (batch.totalResponseTokens() != (long) PROMPTS * GROUP * NEW_TOKENS) {
                throw new IllegalStateException("unexpected batch " + batch);
              }
            }
            e.sync()[r] = (b - a) / 1e6;
          }
        }
      } finally {
        entries.forEach(e -> e.pool().close());
      }
      System.out.printf(
          "%n%-22s %8s %14s %14s %12s %16s%n",
          "pool", "start s", "tokens/s best", "tokens/s median", "step ms med", "weight sync ms");
      for (Entry e : entries) {
        System.out.printf(
            "%-22s %8.1f %,14.0f %,14.0f %12.1f %16.1f%n",
            e.name(),
            e.startSeconds(),
            e.tokensPerSecond(min(e.step())),
            e.tokensPerSecond(median(e.step())),
            median(e.step()),
            median(e.sync()));
      }
      System.out.println(
          "(start: pool creation, for the first Ray pool including the local head; weight sync:"
              + " median of syncWeights = encode + object-store put + every actor loading it;"
              + " in-process: copying into each thread's model)");
      transport(allocator, policy, prompts, sampling, rounds);
    }
  }

  private static Entry open(
      String name, Policy policy, BufferAllocator allocator, int rounds, String... overrides) {
    Config c = config(ProjectRoot.get(), overrides);
    long t0 = System.nanoTime();
    RolloutPool pool = RolloutPools.create(new RolloutPoolContext(policy, c, allocator));
    double start = (System.nanoTime() - t0) / 1e9;
    return new Entry(name, pool, start, new double[rounds], new double[rounds]);
  }

  /** Serialize + deserialize one step's batch as the Ray pool does (actor -> driver). */
  private static void transport(
      BufferAllocator allocator,
      Policy policy,
      List<PromptRequest> prompts,
      SamplingParams sampling,
      int steps) {
    Config c = config(ProjectRoot.get(), "distributed.backend=local", "rollout.workers=1");
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

  private static double min(double[] values) {
    return Arrays.stream(values).min().orElse(Double.NaN);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
