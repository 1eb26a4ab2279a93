package org.tokenrl.rewards;

import com.typesafe.config.Config;

/**
 * Registers a reward under a short name from a jar, found through {@link java.util.ServiceLoader}:
 * list the implementation in {@code META-INF/services/org.tokenrl.rewards.RewardFunctionProvider}.
 * The name must not be a built-in's and must be unique among providers.
 */
public interface RewardFunctionProvider {
  /** The value of a {@code rewards} entry's {@code name} that selects this provider. */
  String name();

  /** Builds the function; {@code params} is the whole {@code rewards} entry. */
  RewardFunction create(Config params);
}
