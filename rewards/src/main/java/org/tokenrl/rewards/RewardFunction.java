package org.tokenrl.rewards;

import java.util.Locale;

/**
 * Implement this to add a reward. One class, public, with a public constructor taking {@code
 * (com.typesafe.config.Config params)} (the whole {@code rewards} entry, {@code name} and {@code
 * weight} included) or no arguments; then name the class in config: {@code rewards = [{name =
 * com.example.MyReward, weight = 0.2}]}. See {@code rewards/README.md} for a complete example.
 *
 * <p>{@link #score} is called once per training step from the trainer thread with the whole batch,
 * so a function may compare the responses of a group. It must return one finite score per row;
 * throwing, NaN/Inf or a wrong count is reported by {@link CompositeReward} according to {@code
 * reward.on_error}.
 *
 * <p>Lifecycle: built once from config, {@link #score} once per step, {@link #close} at the end.
 */
@FunctionalInterface
public interface RewardFunction extends AutoCloseable {
  RewardScores score(RewardInput input);

  /**
   * Releases what the function holds (the {@code python} reward's worker process). {@link
   * CompositeReward#close} calls it once at the end of the run; the default does nothing.
   */
  @Override
  default void close() {}

  /**
   * Name used in metrics and errors when the function was configured by class name: the simple
   * class name in snake_case ({@code MyReward} → {@code my_reward}).
   */
  default String name() {
    String simple = getClass().getSimpleName();
    if (simple.isEmpty() || simple.contains("$")) {
      return "reward"; // lambdas and anonymous classes have no useful name
    }
    return simple.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }
}
