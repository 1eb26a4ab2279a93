package org.tokenrl.rollout;

/**
 * A pool implementation found by name through {@link java.util.ServiceLoader}, so the trainer can
 * use e.g. the Ray pool without a compile-time dependency on it. Register an implementation in
 * {@code META-INF/services/org.tokenrl.rollout.RolloutPoolProvider}.
 */
public interface RolloutPoolProvider {
  /** The value of {@code distributed.backend} that selects this provider. */
  String backend();

  RolloutPool create(RolloutPoolContext context);

  /**
   * Checks what can be checked of the resolved run config before the run directory exists (the
   * backend's settings, a cluster's address); throws with one line naming the key. Default:
   * nothing.
   */
  default void check(com.typesafe.config.Config resolved) {}
}
