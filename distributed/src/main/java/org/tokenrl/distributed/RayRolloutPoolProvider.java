package org.tokenrl.distributed;

import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPoolProvider;

/** {@code distributed.backend = ray}: found by {@code RolloutPools} through ServiceLoader. */
public final class RayRolloutPoolProvider implements RolloutPoolProvider {
  @Override
  public String backend() {
    return "ray";
  }

  /** The distributed block parses; a configured cluster address answers. */
  @Override
  public void check(com.typesafe.config.Config resolved) {
    DistributedConfig cfg = DistributedConfig.from(resolved);
    if (!cfg.address().isEmpty()) {
      RayCluster.checkReachable(cfg.address());
    }
  }

  @Override
  public RolloutPool create(RolloutPoolContext context) {
    return RayRolloutPool.start(context);
  }
}
