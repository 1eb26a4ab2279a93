package org.tokenrl.trainer.loop;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.Metrics;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rewards.TaskReward;

/**
 * Keeps each number under one name: the reward means that equal another metric by construction are
 * not logged (docs/metrics.md, "Each number once"). {@code reward/task_mean} scores the task's
 * verifier 1/0 on the sampled rows, which is {@code train/accuracy}; the one component of a
 * single-entry reward with weight 1 is the total, {@code train/reward_mean}; {@code actor/pg_loss}
 * is {@code actor/loss} without a KL or entropy term; {@code credit/truncated_frac} is {@code
 * completions/clipped_ratio} when the credit batch is every sampled row (no refill). TensorBoard
 * would otherwise draw the same curve twice under two names.
 */
final class OnceNamed {
  private OnceNamed() {}

  static Map<String, Double> rewardMetrics(Map<String, Double> metrics, CompositeReward reward) {
    Map<String, Double> out = new LinkedHashMap<>(metrics);
    out.remove(Metrics.rewardMean(TaskReward.NAME));
    List<CompositeReward.Component> components = reward.components();
    if (components.size() == 1 && components.get(0).weight() == 1.0) {
      out.remove(Metrics.rewardMean(components.get(0).name()));
    }
    return out;
  }

  /** Drops the step's actor and credit values that repeat another name's (see the class doc). */
  static void dropRepeats(Map<String, Double> step, boolean creditIsSampled) {
    if (!step.containsKey(Metrics.ACTOR_KL) && !step.containsKey(Metrics.ACTOR_POLICY_ENTROPY)) {
      step.remove(Metrics.ACTOR_PG_LOSS);
    }
    if (creditIsSampled) {
      step.remove(Metrics.CREDIT_TRUNCATED_FRAC);
    }
  }
}
