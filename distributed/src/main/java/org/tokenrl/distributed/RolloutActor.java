package org.tokenrl.distributed;

import org.tokenrl.model.ModelSpec;

/**
 * The Ray actor around a {@link RolloutWorker}: one per worker process. Arguments and results are
 * byte arrays (a {@link SliceRequest}, a {@link WeightBlob}, an Arrow IPC stream), which Ray moves
 * as raw bytes; weights arrive as an object-store reference that Ray resolves before the call.
 *
 * <p>Public with public methods: Ray creates and calls it reflectively in the worker JVM.
 */
public class RolloutActor {
  private final RolloutWorker worker;

  /**
   * @param modelConfigJson the policy's {@code ModelSpec} as JSON (either architecture)
   * @param runConfig the resolved run config ({@link ActorRewards#render}) when this actor computes
   *     rewards ({@code distributed.rewards_on = actors}), else ""
   * @param projectRoot what the task's relative data paths resolve against
   */
  public RolloutActor(String modelConfigJson, String runConfig, String projectRoot) {
    ActorRewards rewards =
        runConfig.isEmpty() ? null : ActorRewards.fromRendered(runConfig, projectRoot);
    this.worker = new RolloutWorker(ModelSpec.fromJson(modelConfigJson), rewards);
  }

  /** Loads the weights (if not held yet) and samples the slice; returns a {@link SliceResult}. */
  public byte[] generate(byte[] request, long weightsVersion, byte[] weights) {
    worker.loadWeights(weightsVersion, weights);
    return worker.generate(SliceRequest.fromBytes(request)).toBytes();
  }

  /** Loads a weights version ahead of the next generate; returns it once held. */
  public long loadWeights(long weightsVersion, byte[] weights) {
    worker.loadWeights(weightsVersion, weights);
    return weightsVersion;
  }

  /**
   * Releases the sampler's native memory and the worker's Arrow allocator before the pool kills
   * this actor; throws if Arrow buffers are still outstanding (a leak), which the pool reports.
   */
  public boolean close() {
    worker.close();
    return true;
  }

  /** This actor's worker process id (tests kill it to check restarts). */
  public long pid() {
    return ProcessHandle.current().pid();
  }
}
