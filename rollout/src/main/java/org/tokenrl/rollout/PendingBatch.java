package org.tokenrl.rollout;

import org.tokenrl.core.RolloutBatch;

/**
 * A batch the pool is sampling in the background (see {@link RolloutPool#start}). {@link #await}
 * blocks until it is done and returns it; call it once, from the thread that started it.
 */
@FunctionalInterface
public interface PendingBatch {
  RolloutBatch await();
}
