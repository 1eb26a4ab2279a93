package org.tokenrl.distributed;

import com.typesafe.config.Config;
import java.util.regex.Pattern;
import org.tokenrl.core.ConfigException;

/**
 * The {@code distributed} block of the run configuration, as the Ray pool reads it.
 *
 * @param async sample with the weights one version behind the latest sync (off-policy by one step)
 * @param rewardsOnActors {@code distributed.rewards_on = actors}: each actor scores its own slice
 *     with the run's composite reward (else the trainer scores the whole batch)
 * @param address {@code host:port} of a running cluster; empty starts a local head for this run
 * @param actors number of rollout actors
 * @param maxRestarts how often Ray may restart a dead actor (and its calls be retried)
 * @param workerHeap {@code -Xmx} value of each actor's JVM, e.g. {@code 1g}
 * @param initTimeoutSeconds bound on cluster start-up plus actor creation
 * @param callTimeoutSeconds bound on one generate call of one actor
 * @param keepLogs keep the Ray session folder (logs) of a local head after the run
 */
public record DistributedConfig(
    boolean async,
    boolean rewardsOnActors,
    String address,
    int actors,
    int maxRestarts,
    String workerHeap,
    int initTimeoutSeconds,
    int callTimeoutSeconds,
    boolean keepLogs) {
  /** {@code distributed.rewards_on}: the trainer scores the whole batch (the default). */
  public static final String REWARDS_ON_TRAINER = "trainer";

  /** {@code distributed.rewards_on}: each rollout actor scores the slice it sampled. */
  public static final String REWARDS_ON_ACTORS = "actors";

  private static final Pattern HEAP = Pattern.compile("[0-9]+[kKmMgG]?");
  private static final Pattern ADDRESS = Pattern.compile("[^\\s:]+:[0-9]{1,5}");

  public DistributedConfig {
    require(actors >= 1, "distributed.ray.actors must be >= 1, got " + actors);
    require(maxRestarts >= 0, "distributed.ray.max_restarts must be >= 0, got " + maxRestarts);
    require(
        HEAP.matcher(workerHeap).matches(),
        "distributed.ray.worker_heap must look like 512m or 2g (a JVM -Xmx value), got '"
            + workerHeap
            + "'");
    require(
        address.isEmpty() || ADDRESS.matcher(address).matches(),
        "distributed.ray.address must be host:port (e.g. 10.0.0.5:6379) or \"\" to start a"
            + " local head, got '"
            + address
            + "'");
    require(
        initTimeoutSeconds >= 1,
        "distributed.ray.init_timeout_s must be >= 1, got " + initTimeoutSeconds);
    require(
        callTimeoutSeconds >= 1,
        "distributed.ray.call_timeout_s must be >= 1, got " + callTimeoutSeconds);
  }

  /** Reads the block from the full resolved run configuration. */
  public static DistributedConfig from(Config c) {
    String rewardsOn = c.getString("distributed.rewards_on");
    require(
        rewardsOn.equals(REWARDS_ON_TRAINER) || rewardsOn.equals(REWARDS_ON_ACTORS),
        "distributed.rewards_on = "
            + rewardsOn
            + " is not a place rewards can be computed; set distributed.rewards_on = "
            + REWARDS_ON_TRAINER
            + " or "
            + REWARDS_ON_ACTORS);
    return new DistributedConfig(
        c.getBoolean("distributed.async"),
        rewardsOn.equals(REWARDS_ON_ACTORS),
        c.getString("distributed.ray.address").strip(),
        c.getInt("distributed.ray.actors"),
        c.getInt("distributed.ray.max_restarts"),
        c.getString("distributed.ray.worker_heap").strip(),
        c.getInt("distributed.ray.init_timeout_s"),
        c.getInt("distributed.ray.call_timeout_s"),
        c.hasPath("distributed.ray.keep_logs") && c.getBoolean("distributed.ray.keep_logs"));
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new ConfigException("config error: " + message);
    }
  }
}
