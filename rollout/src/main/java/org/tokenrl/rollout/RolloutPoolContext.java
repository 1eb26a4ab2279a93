package org.tokenrl.rollout;

import com.typesafe.config.Config;
import org.apache.arrow.memory.BufferAllocator;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.model.Policy;

/**
 * What a pool needs to start: the policy whose weights its samplers begin with, the resolved run
 * configuration, the allocator batches are built in and the run's tokenizer (which multi-turn
 * rollouts render observations with; null when the run has none to give).
 */
public record RolloutPoolContext(
    Policy policy, Config config, BufferAllocator allocator, Tokenizer tokenizer) {

  public RolloutPoolContext(Policy policy, Config config, BufferAllocator allocator) {
    this(policy, config, allocator, null);
  }
}
