package org.tokenrl.trainer.loop;

import java.util.ArrayList;
import java.util.List;
import org.tokenrl.algorithms.AlgorithmKind;
import org.tokenrl.runlog.CustomScalars.Category;
import org.tokenrl.runlog.CustomScalars.Chart;

/**
 * What the Custom Scalars tab shows first for a run of each kind: the reward and accuracy curves,
 * response length and KL/entropy for RL; the loss and its diagnostics below; clipping and timing
 * collapsed (they are flat in a healthy on-policy run). Regexes are anchored so {@code
 * train/accuracy} does not also pull in other tags.
 */
final class RunLayout {
  private RunLayout() {}

  static List<Category> of(AlgorithmKind kind, boolean warmUp) {
    List<Category> out = new ArrayList<>();
    switch (kind) {
      case RL -> {
        out.add(
            Category.open(
                "key charts",
                Chart.of("reward", "^train/reward_mean$", "^reward/.*_mean$"),
                Chart.of("accuracy: train rollouts and held-out", "^train/accuracy$", "^eval/"),
                Chart.of("completion length (tokens)", "^completions/.*length$"),
                Chart.of("KL and entropy", "^actor/kl$", "^actor/(policy_)?entropy$")));
        out.add(
            Category.open(
                "update",
                Chart.of("loss", "^actor/(pg_)?loss$"),
                Chart.of("grad norm", "^optim/grad_norm$"),
                Chart.of("learning rate", "^optim/lr$"),
                Chart.of(
                    "signal: truncated, zero-std groups, rows updated",
                    "^completions/(clipped_ratio|zero_std_group_frac)$",
                    "^train/update_row_frac$"),
                Chart.of("credit", "^credit/", "^d3s/", "^tempo/", "^dynamic/")));
        out.add(
            Category.closed(
                "clipping and ratio",
                Chart.of("clip fractions", "^actor/.*clip_frac"),
                Chart.of("ratio and PPO KL", "^actor/ratio_mean$", "^actor/ppo_kl$")));
      }
      case PREFERENCE -> {
        out.add(
            Category.open(
                "key charts",
                Chart.of("held-out", "^eval/"),
                Chart.of("preference accuracy", "^pref/accuracy$"),
                Chart.of("rewards and margin", "^pref/reward_"),
                Chart.of("loss", "^actor/loss$", "^treg/", "^cdpo/")));
      }
      case SUPERVISED -> {
        out.add(
            Category.open(
                "key charts",
                Chart.of("held-out accuracy", "^eval/accuracy$"),
                Chart.of("loss and NLL", "^actor/loss$", "^sft/nll$", "^otr/")));
      }
    }
    if (warmUp && kind != AlgorithmKind.SUPERVISED) {
      out.add(Category.open("SFT warm-up", Chart.of("answer NLL", "^sft/nll$")));
    }
    out.add(
        Category.closed(
            "performance",
            Chart.of("tokens/s", "^perf/tokens_per_sec$"),
            Chart.of("seconds per phase", "^perf/time_"),
            Chart.of("distributed", "^distributed/")));
    return out;
  }
}
