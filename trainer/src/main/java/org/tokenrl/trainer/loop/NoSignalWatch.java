package org.tokenrl.trainer.loop;

import java.util.Map;
import java.util.Optional;
import org.tokenrl.core.Metrics;

/**
 * Says when RL learns nothing: after {@link #STEPS} steps in a row whose groups all have zero
 * reward spread, or whose update had a zero gradient, one warning naming the likely cause (every
 * answer truncated, every group's rewards equal). Once per streak; a step with signal resets it.
 */
final class NoSignalWatch {
  /** Consecutive steps without signal before the warning. */
  static final int STEPS = 5;

  private int streak;

  /** The warning to print after this step's metrics, if this step completes a streak. */
  Optional<String> observe(long step, Map<String, Double> m) {
    double zeroStd = m.getOrDefault(Metrics.COMPLETIONS_ZERO_STD_GROUP_FRAC, 0.0);
    double grad = m.getOrDefault(Metrics.OPTIM_GRAD_NORM, Double.NaN);
    boolean skipped = m.getOrDefault(Metrics.OPTIM_SKIPPED, 0.0) > 0;
    boolean noSignal = zeroStd >= 1.0 || (!skipped && !(grad > 0));
    streak = noSignal ? streak + 1 : 0;
    if (streak != STEPS) {
      return Optional.empty();
    }
    double truncated = m.getOrDefault(Metrics.COMPLETIONS_CLIPPED_RATIO, 0.0);
    String cause =
        truncated >= 1.0
            ? "every sampled answer hit the length limit: raise rollout.max_new_tokens"
            : zeroStd >= 1.0
                ? "every group's rewards are equal (all right or all wrong): check the reward,"
                    + " the task's difficulty or a longer SFT warm-up (sft.steps)"
                : "the advantages are all zero: check the reward's spread within groups";
    return Optional.of(
        "step "
            + step
            + ": no learning signal for "
            + STEPS
            + " steps in a row ("
            + Metrics.COMPLETIONS_ZERO_STD_GROUP_FRAC
            + " = "
            + zeroStd
            + ", "
            + Metrics.OPTIM_GRAD_NORM
            + " = "
            + grad
            + "); "
            + cause);
  }
}
