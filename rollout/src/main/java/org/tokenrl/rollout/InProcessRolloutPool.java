package org.tokenrl.rollout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.BufferAllocator;
import org.tokenrl.core.Rollout;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.Generation;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;

/**
 * The default pool: worker threads in this JVM, each with its own copy of the policy.
 *
 * <p>Rows are split into contiguous, equal slices, one per worker, so the assignment of work is a
 * pure function of the batch size and the worker count.
 */
public final class InProcessRolloutPool implements RolloutPool {
  private final List<Policy> workers = new ArrayList<>();
  private final ExecutorService threads;
  private final BufferAllocator allocator;
  private long weightsVersion = -1;
  // Slices of started batches still sampling; syncWeights waits for them.
  private final List<Future<?>> inFlight = new java.util.concurrent.CopyOnWriteArrayList<>();
  // rollout.env: multi-turn rollouts (null: one completion per prompt)
  private final org.tokenrl.rollout.env.MultiTurnDriver multiTurn;

  /** Creates {@code workerCount} samplers holding copies of {@code policy}'s current weights. */
  public InProcessRolloutPool(Policy policy, int workerCount, BufferAllocator allocator) {
    this(policy, workerCount, allocator, null);
  }

  /**
   * With a multi-turn driver, each worker runs its slice's rows turn by turn with its environment
   * ({@code rollout.env}); the driver is shared (its environments are created per row).
   */
  public InProcessRolloutPool(
      Policy policy,
      int workerCount,
      BufferAllocator allocator,
      org.tokenrl.rollout.env.MultiTurnDriver multiTurn) {
    this.multiTurn = multiTurn;
    if (workerCount < 1) {
      throw new IllegalArgumentException("rollout.workers must be at least 1, got " + workerCount);
    }
    for (int w = 0; w < workerCount; w++) {
      workers.add(policy.copy());
    }
    this.allocator = allocator;
    this.threads =
        Executors.newFixedThreadPool(
            workerCount,
            r -> {
              Thread t = new Thread(r, "rollout-worker");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public String description() {
    int blas = org.tokenrl.core.Threads.blas();
    return "in-process, "
        + workers.size()
        + (workers.size() == 1 ? " thread" : " threads")
        + " x "
        + blas
        + (blas == 1 ? " BLAS thread" : " BLAS threads");
  }

  /** Submits one contiguous slice per worker thread; the batch is assembled in await. */
  @Override
  public PendingBatch start(
      List<PromptRequest> prompts, int groupSize, SamplingParams params, long seed) {
    int rows = prompts.size() * groupSize;
    int[][] promptIds = new int[rows][];
    long[] seeds = new long[rows];
    for (int p = 0; p < prompts.size(); p++) {
      for (int k = 0; k < groupSize; k++) {
        promptIds[p * groupSize + k] = prompts.get(p).promptIds();
        seeds[p * groupSize + k] = RowSeeds.of(seed, p, k);
      }
    }
    if (multiTurn != null) {
      return startMultiTurn(prompts, groupSize, params, seeds);
    }
    Generation[] slices = new Generation[workers.size()];
    int[] starts = RolloutPool.sliceStarts(rows, workers.size());
    List<Future<?>> pending = new ArrayList<>();
    for (int w = 0; w < workers.size(); w++) {
      int from = starts[w];
      int to = starts[w + 1];
      int slot = w;
      Policy sampler = workers.get(w);
      pending.add(
          threads.submit(
              () -> {
                if (to > from) {
                  slices[slot] =
                      sampler.generate(
                          java.util.Arrays.copyOfRange(promptIds, from, to),
                          params,
                          java.util.Arrays.copyOfRange(seeds, from, to));
                }
              }));
    }
    inFlight.addAll(pending);
    return () -> {
      await(pending);
      inFlight.removeAll(pending);
      List<Rollout> out = new ArrayList<>(rows);
      for (int w = 0; w < workers.size(); w++) {
        Generation g = slices[w];
        for (int j = 0; j < starts[w + 1] - starts[w]; j++) {
          int row = starts[w] + j;
          PromptRequest req = prompts.get(row / groupSize);
          out.add(
              new Rollout(
                  req.exampleId(),
                  row / groupSize,
                  req.promptIds(),
                  g.responses()[j],
                  g.logprobs()[j],
                  g.entropies()[j],
                  g.truncated()[j],
                  req.reference(),
                  0.0));
        }
      }
      return RolloutBatch.of(allocator, groupSize, out);
    };
  }

  /** {@link #start} for multi-turn rollouts: each worker drives its slice's rows turn by turn. */
  private PendingBatch startMultiTurn(
      List<PromptRequest> prompts, int groupSize, SamplingParams params, long[] seeds) {
    int rows = seeds.length;
    List<org.tokenrl.rollout.env.MultiTurnRollout> results =
        new ArrayList<>(java.util.Collections.nCopies(rows, null));
    int[] starts = RolloutPool.sliceStarts(rows, workers.size());
    List<Future<?>> pending = new ArrayList<>();
    for (int w = 0; w < workers.size(); w++) {
      int from = starts[w];
      int to = starts[w + 1];
      Policy sampler = workers.get(w);
      pending.add(
          threads.submit(
              () -> {
                List<org.tokenrl.rollout.env.MultiTurnDriver.Request> slice = new ArrayList<>();
                for (int row = from; row < to; row++) {
                  slice.add(MultiTurnRows.request(prompts, groupSize, row, seeds[row]));
                }
                List<org.tokenrl.rollout.env.MultiTurnRollout> out =
                    multiTurn.run(
                        slice,
                        sampler::generate,
                        params,
                        java.util.Arrays.copyOfRange(seeds, from, to));
                for (int j = 0; j < out.size(); j++) {
                  results.set(from + j, out.get(j));
                }
              }));
    }
    inFlight.addAll(pending);
    return () -> {
      await(pending);
      inFlight.removeAll(pending);
      return RolloutBatch.of(allocator, groupSize, MultiTurnRows.rows(prompts, groupSize, results));
    };
  }

  @Override
  public void syncWeights(long version, Map<String, float[]> weights) {
    // A batch started earlier samples with the old weights: let it finish first.
    awaitQuietly(new ArrayList<>(inFlight));
    inFlight.removeIf(Future::isDone);
    for (Policy worker : workers) {
      worker.importWeights(weights);
    }
    weightsVersion = version;
  }

  /** The version of the weights the workers hold (-1 before the first sync). */
  public long weightsVersion() {
    return weightsVersion;
  }

  @Override
  public void close() {
    threads.shutdownNow();
    if (multiTurn != null) {
      multiTurn.close();
    }
    workers.forEach(Policy::close);
  }

  /** Waits for the futures; their failures surface in the batch's own await. */
  private static void awaitQuietly(List<Future<?>> pending) {
    for (Future<?> f : pending) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("rollout interrupted", e);
      } catch (ExecutionException e) {
        // reported by PendingBatch.await
      }
    }
  }

  private static void await(List<Future<?>> pending) {
    try {
      for (Future<?> f : pending) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("rollout interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof org.tokenrl.rollout.env.EnvironmentException env) {
        throw env; // already one line naming the row and the turn
      }
      throw new IllegalStateException("a rollout worker failed: " + e.getCause(), e.getCause());
    }
  }
}
