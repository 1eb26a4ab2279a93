package org.tokenrl.rollout;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.tokenrl.core.Threads;

/**
 * Chooses the pool named by {@code distributed.backend}: {@code local}, or a registered provider.
 */
public final class RolloutPools {
  public static final String LOCAL = "local";

  private RolloutPools() {}

  public static RolloutPool create(RolloutPoolContext context) {
    String backend = context.config().getString("distributed.backend");
    if (backend.equals(LOCAL)) {
      int workers = Threads.rolloutWorkers(context.config().getInt("rollout.workers"));
      return new InProcessRolloutPool(
          context.policy(),
          workers,
          context.allocator(),
          context.config().hasPath("rollout.env.name")
              ? org.tokenrl.rollout.env.MultiTurn.driver(context.config(), context.tokenizer())
              : null);
    }
    return provider(backend).create(context);
  }

  /** Fails, naming the key and the backends there are, unless {@code backend} can be created. */
  public static void checkAvailable(String backend) {
    if (!backend.equals(LOCAL)) {
      provider(backend);
    }
  }

  /** The chosen backend's own start checks ({@link RolloutPoolProvider#check}). */
  public static void check(com.typesafe.config.Config resolved) {
    String backend = resolved.getString("distributed.backend");
    if (!backend.equals(LOCAL)) {
      provider(backend).check(resolved);
    }
  }

  private static RolloutPoolProvider provider(String backend) {
    List<String> known = new ArrayList<>(List.of(LOCAL));
    for (RolloutPoolProvider provider : ServiceLoader.load(RolloutPoolProvider.class)) {
      if (provider.backend().equals(backend)) {
        return provider;
      }
      known.add(provider.backend());
    }
    throw new IllegalArgumentException(
        "distributed.backend = "
            + backend
            + " is not available (available: "
            + String.join(", ", known)
            + "); the Ray backend needs the distributed module built: mvn -pl distributed -am"
            + " package");
  }
}
