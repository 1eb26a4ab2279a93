package org.tokenrl.distributed;

import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import java.util.List;
import org.tokenrl.model.arch.ModelSpec;

/**
 * The Ray actor around a {@link RolloutWorker}: one per worker process. Arguments and results are
 * byte arrays (a {@link SliceRequest}, safetensors bytes of the weights, an Arrow IPC stream),
 * which Ray moves as raw bytes; weights arrive as an object-store reference the actor fetches only
 * for a version it does not hold.
 *
 * <p>Public with public methods: Ray creates and calls it reflectively in the worker JVM.
 */
public class RolloutActor {
  private final RolloutWorker worker;
  private long fetches;

  /**
   * @param modelConfigJson the policy's {@code ModelSpec} as JSON (either architecture)
   * @param runConfig the resolved run config ({@link ActorRewards#render}) when this actor computes
   *     rewards ({@code distributed.rewards_on = actors}), else ""
   * @param projectRoot what the task's relative data paths resolve against
   * @param loraJson the policy's {@code LoraConfig} as JSON ("" without LoRA)
   * @param baseJson the {@code BaseModel} under the adapters ("" when none): the actor loads it
   *     once from its path (same path on every node, digest checked) and then receives only the
   *     adapters at each weight sync
   * @param multiTurnJson the run config and tokenizer for {@code rollout.env} ("" without): the
   *     environments run here, where the rollouts run
   */
  public RolloutActor(
      String modelConfigJson,
      String runConfig,
      String projectRoot,
      String loraJson,
      String baseJson,
      String multiTurnJson)
      throws java.io.IOException {
    ActorRewards rewards =
        runConfig.isEmpty() ? null : ActorRewards.fromRendered(runConfig, projectRoot);
    this.worker =
        new RolloutWorker(
                RolloutWorker.sampler(ModelSpec.fromJson(modelConfigJson), loraJson, baseJson),
                rewards)
            .withMultiTurn(multiTurnJson);
  }

  /**
   * Loads the weights (if not held yet) and samples the slice; returns a {@link SliceResult}. The
   * weights' object ref travels inside a list, which Ray does not resolve: the bytes are fetched
   * only when this actor does not hold {@code weightsVersion} (e.g. after a restart).
   */
  public byte[] generate(byte[] request, long weightsVersion, List<ObjectRef<byte[]>> weights) {
    load(weightsVersion, weights);
    PausePoint.reach(PausePoint.GENERATE);
    byte[] result = worker.generate(SliceRequest.fromBytes(request)).toBytes();
    PausePoint.reach(PausePoint.RESULT);
    return result;
  }

  /** Loads a weights version ahead of the next generate (unless held); returns it once held. */
  public long loadWeights(long weightsVersion, List<ObjectRef<byte[]>> weights) {
    PausePoint.reach(PausePoint.LOAD_WEIGHTS);
    load(weightsVersion, weights);
    return weightsVersion;
  }

  /** How many times this actor fetched weight bytes from the object store (tests). */
  public long weightFetches() {
    return fetches;
  }

  private void load(long weightsVersion, List<ObjectRef<byte[]>> weights) {
    if (worker.weightsVersion() != weightsVersion) {
      fetches++;
      worker.loadWeights(weightsVersion, Ray.get(weights.get(0)));
    }
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
