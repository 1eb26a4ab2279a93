package org.tokenrl.rollout;

import com.typesafe.config.Config;
import org.apache.arrow.memory.BufferAllocator;
import org.tokenrl.model.Policy;

/**
 * What a pool needs to start: the policy whose weights its samplers begin with, the resolved run
 * configuration and the allocator batches are built in.
 */
public record RolloutPoolContext(Policy policy, Config config, BufferAllocator allocator) {}
