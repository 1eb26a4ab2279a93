package org.tokenrl.distributed;

import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import io.ray.api.exception.RayActorException;
import io.ray.api.exception.RayException;
import io.ray.api.exception.RayTimeoutException;
import io.ray.api.id.ActorId;
import io.ray.api.runtimecontext.ActorInfo;
import io.ray.api.runtimecontext.ActorState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.io.SafeTensors;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rollout.PendingBatch;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;

/**
 * Rollouts on a Ray cluster: {@code distributed.ray.actors} {@link RolloutActor}s, each sampling a
 * contiguous slice of the step's prompts with the same per-row seeds as the in-process pool, so the
 * batch is the same for the same weights and seed.
 *
 * <p>Data path: weights go into the object store once per {@link #syncWeights} (the bytes of a
 * safetensors file, with a version number; under LoRA the adapters alone); every generate call
 * carries that object reference and its version, and an actor loads a version it does not hold
 * before sampling. Slices come back as Arrow IPC bytes and are concatenated here in prompt order
 * (group-major).
 *
 * <p>Staleness: by default {@link #syncWeights} returns once every actor holds the new version.
 * {@link #start} submits the slices with the weights of the last sync and returns at once, so the
 * trainer can update while the actors sample; with {@code distributed.async = true} the trainer
 * starts the next step's batch before its update, i.e. one version behind (it records {@code
 * distributed/weight_staleness}), and syncWeights then does not wait for the actors to load.
 *
 * <p>Rewards: with {@code distributed.rewards_on = actors} each actor also scores its slice with
 * the run's composite reward ({@link ActorRewards}) and the batch comes back with its reward column
 * filled ({@link #computesRewards()}); a reward that fails on an actor stops the step with the
 * actor's message.
 *
 * <p>Faults: actors are created with {@code max_restarts = distributed.ray.max_restarts}, which Ray
 * counts per actor over its whole life, i.e. the run. When a call fails, the pool asks whether the
 * actor died (it waits until the actor answers a ping and compares Ray's restart count with the
 * count when the call was sent) or its code threw: a dead actor's call is sent again to the process
 * Ray started in its place (which loads the weights the call refers to), so the step's rows are the
 * same; a throwing call stops the run with the actor's message; an actor Ray will not restart any
 * more stops it with one line naming {@code distributed.ray.max_restarts}. {@code
 * distributed/actor_restarts} is Ray's count, summed over the actors. Every wait is bounded by
 * {@code call_timeout_s}.
 *
 * <p>Length: data path, staleness and fault handling act on the same per-actor state (versions,
 * restart counts, in-flight calls); they stay together so each rule can be checked against the
 * others.
 */
public final class RayRolloutPool implements RolloutPool {
  private final DistributedConfig cfg;
  private final BufferAllocator allocator;
  private final List<ActorHandle<RolloutActor>> actors = new ArrayList<>();
  private ObjectRef<byte[]> weights;
  private long weightsVersion;
  private double syncMillis = Double.NaN;
  private long syncBytes;
  private Map<String, long[]> shapes; // every parameter's shape, for the safetensors header
  private volatile Map<String, Double> lastRewardMetrics = Map.of();
  private double transportMillis = Double.NaN;
  private boolean closed;

  private RayRolloutPool(DistributedConfig cfg, BufferAllocator allocator) {
    this.cfg = cfg;
    this.allocator = allocator;
  }

  /**
   * Connects to (or starts) the cluster, creates the actors and loads the context policy's current
   * weights into them as version -1. On any failure the cluster connection is released.
   */
  public static RayRolloutPool start(RolloutPoolContext context) {
    DistributedConfig cfg = DistributedConfig.from(context.config());
    String runConfig = cfg.rewardsOnActors() ? actorRewardsConfig(context) : "";
    String root = projectRoot().toString();
    RayCluster.acquire(cfg);
    RayRolloutPool pool = new RayRolloutPool(cfg, context.allocator());
    try {
      Policy policy = context.policy();
      pool.shapes = policy.parameterShapes();
      String model = policy.config().toJson();
      String lora = policy.lora().enabled() ? policy.lora().toJson().toString() : "";
      String base = policy.baseModel() != null ? policy.baseModel().toJson().toString() : "";
      String multiTurn = RolloutWorker.multiTurnJson(context.config(), context.tokenizer());
      for (int i = 0; i < cfg.actors(); i++) {
        pool.actors.add(
            Ray.actor(RolloutActor::new, model, runConfig, root, lora, base, multiTurn)
                .setMaxRestarts(cfg.maxRestarts())
                .remote());
      }
      // The first call waits for the actors' JVMs: bound it by the start-up timeout.
      pool.awaitAll(
          i -> pool.actors.get(i).task(RolloutActor::pid).remote(),
          cfg.initTimeoutSeconds(),
          "start");
      // Actors on a pretrained base loaded it themselves: they need the adapters alone.
      pool.syncWeights(
          -1, policy.baseModel() != null ? policy.weightsToSync() : policy.exportWeights());
      return pool;
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /**
   * Builds the actors' rewards once here first, so a bad task or rewards setting fails on the
   * driver with its own message rather than as an actor that cannot start; returns the rendered run
   * config the actors build them from.
   */
  private static String actorRewardsConfig(RolloutPoolContext context) {
    ActorRewards check = new ActorRewards(context.config(), projectRoot());
    int vocab = context.policy().config().vocabSize();
    if (vocab != check.vocabSize()) {
      throw new ConfigException(
          "config error: distributed.rewards_on = actors decodes responses with the ASCII"
              + " character tokenizer ("
              + check.vocabSize()
              + " ids), but the policy has "
              + vocab
              + "; set distributed.rewards_on = trainer");
    }
    return ActorRewards.render(context.config());
  }

  /** The checkout the run's relative paths resolve against: the same path on every node. */
  private static Path projectRoot() {
    return Path.of(System.getProperty("tokenrl.root", ".")).toAbsolutePath().normalize();
  }

  /**
   * The weights' ref inside a list: Ray resolves a top-level ref argument before every call (a copy
   * of the bytes into the actor each step), but leaves a nested one to the actor, which fetches it
   * only for a version it does not hold.
   */
  private static List<ObjectRef<byte[]>> nested(ObjectRef<byte[]> ref) {
    List<ObjectRef<byte[]>> list = new ArrayList<>(1);
    list.add(ref);
    return list;
  }

  /** Weight fetches per actor so far (tests: a held version is not fetched again). */
  long[] weightFetches() {
    long[] out = new long[actors.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Ray.get(actors.get(i).task(RolloutActor::weightFetches).remote());
    }
    return out;
  }

  /** True with {@code distributed.rewards_on = actors}: batches come back scored. */
  @Override
  public boolean computesRewards() {
    return cfg.rewardsOnActors();
  }

  /**
   * Submits one slice per actor with the current weights' object ref and returns at once; the
   * actors sample while the caller works. {@link PendingBatch#await} collects the Arrow slices
   * (re-sending a slice whose actor died, with the same weights) on the calling thread.
   */
  @Override
  public PendingBatch start(
      List<PromptRequest> prompts, int groupSize, SamplingParams params, long seed) {
    checkOpen();
    if (weights == null) {
      throw new IllegalStateException("syncWeights must be called before generate");
    }
    ObjectRef<byte[]> weightsRef = weights;
    long version = weightsVersion;
    int[] starts = RolloutPool.sliceStarts(prompts.size(), actors.size());
    List<Integer> busy = new ArrayList<>();
    for (int i = 0; i < actors.size(); i++) {
      if (starts[i + 1] > starts[i]) {
        busy.add(i);
      }
    }
    if (busy.isEmpty()) {
      return () -> RolloutBatch.of(allocator, groupSize, List.of());
    }
    Call<byte[]> call =
        i -> {
          byte[] request =
              new SliceRequest(
                      starts[i], prompts.subList(starts[i], starts[i + 1]), groupSize, params, seed)
                  .toBytes();
          return actors
              .get(i)
              .task(RolloutActor::generate, request, version, nested(weightsRef))
              .remote();
        };
    Submitted<byte[]> submitted = submit(busy, call, cfg.callTimeoutSeconds());
    return () -> {
      List<byte[]> slices = collect(submitted, "generate");
      long t0 = System.nanoTime();
      List<SliceResult> results = new ArrayList<>(slices.size());
      List<RolloutBatch> parts = new ArrayList<>(slices.size());
      try {
        for (byte[] bytes : slices) {
          SliceResult r = SliceResult.fromBytes(bytes);
          results.add(r);
          parts.add(RolloutBatch.fromIpcBytes(allocator, r.ipc()));
        }
        RolloutBatch batch =
            parts.size() == 1 ? parts.remove(0) : RolloutBatch.concat(allocator, parts);
        lastRewardMetrics = cfg.rewardsOnActors() ? rewardMetrics(results) : Map.of();
        return batch;
      } finally {
        parts.forEach(RolloutBatch::close);
        transportMillis = (System.nanoTime() - t0) / 1e6;
      }
    };
  }

  /**
   * The reward metrics of the batch, computed as the trainer computes them for a batch it scores
   * itself ({@link CompositeReward#metrics}), from the slices' per-row component scores in row
   * order. Slices hold whole groups, so group-level rewards see the same rows as in the trainer.
   */
  static Map<String, Double> rewardMetrics(List<SliceResult> slices) {
    Map<String, double[]> components = new LinkedHashMap<>();
    int errors = 0;
    for (SliceResult r : slices) {
      r.components()
          .forEach((name, scores) -> components.merge(name, scores, RayRolloutPool::concat));
      errors += r.errors();
    }
    // Extra reward/<component>/<key> values: a key a slice lacks is NaN (absent) on its rows.
    Map<String, double[]> extraRows = new LinkedHashMap<>();
    int rowsSoFar = 0;
    for (SliceResult r : slices) {
      int rows = r.components().values().stream().mapToInt(v -> v.length).findFirst().orElse(0);
      for (String key : r.extraRows().keySet()) {
        extraRows.computeIfAbsent(key, k -> new double[0]);
      }
      for (Map.Entry<String, double[]> e : extraRows.entrySet()) {
        double[] mine = r.extraRows().get(e.getKey());
        double[] padded = java.util.Arrays.copyOf(e.getValue(), rowsSoFar);
        java.util.Arrays.fill(padded, e.getValue().length, rowsSoFar, Double.NaN);
        if (mine == null) {
          mine = new double[rows];
          java.util.Arrays.fill(mine, Double.NaN);
        }
        e.setValue(concat(padded, mine));
      }
      rowsSoFar += rows;
    }
    return CompositeReward.metrics(components, errors, extraRows);
  }

  private static double[] concat(double[] a, double[] b) {
    double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Override
  public Map<String, Double> lastRewardMetrics() {
    return lastRewardMetrics;
  }

  /**
   * Puts {@code newWeights} into the object store once; without {@code distributed.async} also
   * waits until every actor has loaded them, so the next generate samples with exactly these.
   */
  @Override
  public void syncWeights(long version, Map<String, float[]> newWeights) {
    checkOpen();
    long t0 = System.nanoTime();
    byte[] safetensors =
        SafeTensors.toBytes(
            new LinkedHashMap<>(newWeights),
            shapes,
            Map.of("weights_version", Long.toString(version)));
    syncBytes = safetensors.length;
    ObjectRef<byte[]> ref;
    try {
      ref = Ray.put(safetensors);
    } catch (RayException e) {
      // The object store is the local raylet's: it fails when that node died (a broken pipe).
      throw new IllegalStateException(
          "the Ray node stopped answering while the weights were sent ("
              + firstLine(remoteMessage(e))
              + "); see "
              + RayCluster.logs(),
          e);
    }
    weights = ref;
    weightsVersion = version;
    if (!cfg.async()) {
      awaitAll(
          i -> actors.get(i).task(RolloutActor::loadWeights, version, nested(ref)).remote(),
          cfg.callTimeoutSeconds(),
          "load weights");
    }
    syncMillis = (System.nanoTime() - t0) / 1e6;
  }

  /**
   * {@code distributed/actor_restarts} (Ray's restart count summed over the actors), {@code
   * distributed/weight_sync_ms} and {@code distributed/transport_ms} (Arrow batches read and
   * concatenated on the driver, last step).
   */
  @Override
  public Map<String, Double> metrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    double restarts = 0;
    if (closed) {
      restarts = Double.NaN;
    } else {
      for (long r : rayRestarts()) {
        restarts += r;
      }
    }
    m.put(Metrics.DISTRIBUTED_ACTOR_RESTARTS, restarts);
    m.put(Metrics.DISTRIBUTED_WEIGHT_SYNC_MS, syncMillis);
    m.put(Metrics.DISTRIBUTED_WEIGHT_SYNC_BYTES, (double) syncBytes);
    m.put(Metrics.DISTRIBUTED_TRANSPORT_MS, transportMillis);
    return m;
  }

  @Override
  public String description() {
    String where =
        cfg.address().isEmpty()
            ? "a local head on " + RayCluster.nodeAddress() + " started by this run"
            : cfg.address();
    return "Ray, " + actors.size() + (actors.size() == 1 ? " actor" : " actors") + " at " + where;
  }

  /** The current worker process id of actor {@code i} (tests kill it). */
  long actorPid(int i) {
    return awaitAll(
            List.of(i),
            j -> actors.get(j).task(RolloutActor::pid).remote(),
            cfg.callTimeoutSeconds(),
            "pid")
        .get(0);
  }

  /** Kills the actors (a joined cluster keeps running) and releases this JVM's Ray connection. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // Each actor closes its worker first (native memory, Arrow allocator); a leak it finds is
      // reported, not hidden by the kill.
      for (int i = 0; i < actors.size(); i++) {
        try {
          Ray.get(actors.get(i).task(RolloutActor::close).remote(), 10_000);
        } catch (RayException e) {
          System.err.println(
              "warning: rollout actor " + i + " did not close cleanly: " + remoteMessage(e));
        } catch (RuntimeException e) {
          // Already dead or the cluster is gone: nothing left to release.
        }
      }
      for (ActorHandle<RolloutActor> actor : actors) {
        try {
          actor.kill(true);
        } catch (RuntimeException e) {
          // Already dead or the cluster is gone: nothing left to stop.
        }
      }
    } finally {
      actors.clear();
      weights = null;
      RayCluster.release();
    }
  }

  // ---------------------------------------------------------------- calls

  private interface Call<T> {
    ObjectRef<T> submit(int actor);
  }

  private <T> List<T> awaitAll(Call<T> call, int timeoutSeconds, String what) {
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < actors.size(); i++) {
      all.add(i);
    }
    return awaitAll(all, call, timeoutSeconds, what);
  }

  /**
   * Calls submitted to some actors, with the deadline of the whole round and each actor's Ray
   * restart count when the round was sent.
   */
  private record Submitted<T>(
      List<Integer> actors,
      List<ObjectRef<T>> refs,
      long[] restartsAtSubmit,
      Call<T> call,
      long deadline,
      int timeoutSeconds) {}

  /**
   * Submits {@code call} to each listed actor at once, then collects the results in order. A call
   * whose actor died is submitted again once Ray has restarted the actor ({@link #diedAndIsBack}).
   * All waits together end {@code timeoutSeconds} after the submission.
   */
  private <T> List<T> awaitAll(List<Integer> which, Call<T> call, int timeoutSeconds, String what) {
    return collect(submit(which, call, timeoutSeconds), what);
  }

  private <T> Submitted<T> submit(List<Integer> which, Call<T> call, int timeoutSeconds) {
    long[] restarts = rayRestarts();
    List<ObjectRef<T>> refs = new ArrayList<>();
    for (int i : which) {
      refs.add(call.submit(i));
    }
    // One deadline for the whole round: the calls run in parallel.
    long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
    return new Submitted<>(which, refs, restarts, call, deadline, timeoutSeconds);
  }

  private <T> List<T> collect(Submitted<T> s, String what) {
    List<T> results = new ArrayList<>(s.actors().size());
    for (int j = 0; j < s.actors().size(); j++) {
      int actor = s.actors().get(j);
      ObjectRef<T> ref = s.refs().get(j);
      long restartsBefore = s.restartsAtSubmit()[actor];
      while (true) {
        try {
          results.add(Ray.get(ref, Math.max(1, s.deadline() - System.currentTimeMillis())));
          break;
        } catch (RayTimeoutException e) {
          throw new IllegalStateException(
              "rollout actor "
                  + actor
                  + " did not finish '"
                  + what
                  + "' within "
                  + s.timeoutSeconds()
                  + " s ("
                  + (what.equals("start")
                      ? "distributed.ray.init_timeout_s"
                      : "distributed.ray.call_timeout_s")
                  + "); see the worker logs in "
                  + RayCluster.logs(),
              e);
        } catch (RayException e) {
          // The same exception types arrive when the actor's process died (a RayActorException,
          // or another RayException around an I/O error when it died while its result was
          // on the way) and when its code threw: ask Ray and the actor which one it was.
          // A RayActorException says the process died, whatever the restart count shows: when the
          // actor was killed while idle, Ray may count the restart before this round is sent,
          // and the call still reaches the dead process.
          boolean died = causedByActorDeath(e);
          long restartsNow = diedAndIsBack(actor, restartsBefore, died, e, s.deadline(), what);
          if (restartsNow < 0) {
            throw new IllegalStateException(
                "rollout actor " + actor + " failed during '" + what + "': " + remoteMessage(e), e);
          }
          // The restarted actor holds no weights: the call carries their reference and version.
          restartsBefore = restartsNow;
          ref = s.call().submit(actor);
        }
      }
    }
    return results;
  }

  /** Whether Ray reported the actor's process dead (not an exception thrown by its code). */
  static boolean causedByActorDeath(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof RayActorException) {
        return true;
      }
    }
    return false;
  }

  /** The message of the exception thrown on the actor, without Ray's wrapping. */
  static String remoteMessage(RayException e) {
    Throwable t = e;
    while (t instanceof RayException && t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /** Ray's messages about a dead actor run over several lines; the CLI prints one. */
  private static String firstLine(String message) {
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).strip();
  }

  /**
   * After a call to {@code actor} failed with {@code failure}: waits until the actor answers a
   * ping, then decides from Ray's restart count (or {@code died}, when Ray already said so) whether
   * it died. Returns Ray's new restart count when it died and runs again (the call should be
   * re-sent), -1 when the same actor process is alive (its code threw). Throws when Ray will not
   * restart it (restarts used up) or it does not come back within the start-up bound.
   *
   * <p>A process that died never answers the ping, and Ray increments the actor's restart count
   * before a new process can answer, so "answers, count unchanged" means the call's own code
   * failed; "answers, count grown" means it died (and Ray restarted it) after the call was sent.
   */
  private long diedAndIsBack(
      int actor,
      long restartsBefore,
      boolean died,
      RayException failure,
      long callDeadline,
      String what) {
    long deadline =
        Math.min(callDeadline, System.currentTimeMillis() + cfg.initTimeoutSeconds() * 1000L);
    long pause = 200;
    while (true) {
      ActorInfo info = actorInfo(actor);
      if (info != null && info.state == ActorState.DEAD) {
        throw new IllegalStateException(
            "rollout actor "
                + actor
                + " died during '"
                + what
                + "' and Ray will not restart it:"
                + " it was restarted "
                + info.numRestarts
                + " times and"
                + " distributed.ray.max_restarts = "
                + cfg.maxRestarts()
                + " bounds the restarts"
                + " of each actor over the whole run ("
                + firstLine(remoteMessage(failure))
                + "); see the worker logs in "
                + RayCluster.logs(),
            failure);
      }
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        throw new IllegalStateException(
            "rollout actor "
                + actor
                + " failed during '"
                + what
                + "' ("
                + firstLine(remoteMessage(failure))
                + ") and did not answer again within"
                + " distributed.ray.init_timeout_s = "
                + cfg.initTimeoutSeconds()
                + " s; see the worker logs in "
                + RayCluster.logs(),
            failure);
      }
      try {
        Ray.get(actors.get(actor).task(RolloutActor::pid).remote(), Math.max(1, left));
        ActorInfo now = actorInfo(actor);
        long restarts = now == null ? restartsBefore : now.numRestarts;
        return restarts > restartsBefore || died ? Math.max(restarts, restartsBefore) : -1;
      } catch (RayTimeoutException e) {
        // The deadline passed inside the ping: the next turn reports it.
      } catch (RayException e) {
        // Not reachable: dead, or Ray is restarting it in a new worker JVM (seconds on a busy
        // machine).
        try {
          Thread.sleep(Math.min(pause, Math.max(1, left)));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for rollout actor " + actor);
        }
        pause = Math.min(2_000, pause * 2);
      }
    }
  }

  /** What Ray's GCS knows about actor {@code i} (state, restart count), or null. */
  private ActorInfo actorInfo(int i) {
    ActorId id = actors.get(i).getId();
    for (ActorInfo info : Ray.getRuntimeContext().getAllActorInfo()) {
      if (info.actorId.equals(id)) {
        return info;
      }
    }
    return null;
  }

  /** Each actor's restart count as Ray counts it (0 for one the GCS does not list). */
  private long[] rayRestarts() {
    long[] out = new long[actors.size()];
    List<ActorInfo> all = Ray.getRuntimeContext().getAllActorInfo();
    for (int i = 0; i < actors.size(); i++) {
      ActorId id = actors.get(i).getId();
      for (ActorInfo info : all) {
        if (info.actorId.equals(id)) {
          out[i] = info.numRestarts;
        }
      }
    }
    return out;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the Ray rollout pool is closed");
    }
  }
}
