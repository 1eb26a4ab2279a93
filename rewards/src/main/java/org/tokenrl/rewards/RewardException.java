package org.tokenrl.rewards;

/**
 * A reward function failed (threw, returned NaN/Inf or the wrong number of scores) and {@code
 * reward.on_error = stop}. The message names the function, the sample index (or "batch") and the
 * response text, shortened.
 */
public final class RewardException extends RuntimeException {
  private final String function;
  private final int sample;

  /**
   * @param function the component name, as in the metrics
   * @param sample the failing row, or -1 when the batch fails as a whole
   */
  public RewardException(String function, int sample, String message, Throwable cause) {
    super(message, cause);
    this.function = function;
    this.sample = sample;
  }

  public String function() {
    return function;
  }

  /** The failing row, or -1 when no single row fails on its own. */
  public int sample() {
    return sample;
  }
}
