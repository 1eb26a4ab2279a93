package org.tokenrl.rollout.env;

/**
 * Makes the environment of one rollout row ({@code rollout.env}); see {@link Environments}. Must be
 * safe to call from several rollout threads at once.
 */
@FunctionalInterface
public interface EnvironmentFactory extends AutoCloseable {
  Environment create(EnvRow row) throws Exception;

  /** The name in messages, e.g. {@code calculator}. */
  default String name() {
    return "environment";
  }

  /** Releases what the factory holds (a Python worker). */
  @Override
  default void close() {}
}
