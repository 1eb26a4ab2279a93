package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import org.tokenrl.core.ConfigException;
import org.tokenrl.rollout.RolloutPools;
import org.tokenrl.rollout.Task;

/** The start-up checks of {@code rollout.env} (multi-turn rollouts), before any work. */
final class MultiTurnChecks {
  private MultiTurnChecks() {}

  /**
   * {@code rollout.env}: the environment can be made (a known name, a class with the right
   * constructor, a Python file), the error policy parses, the run is RL (with the trainer adding
   * rewards), and prompt + the whole multi-turn response fit the model's positions.
   */
  static void check(Config c, RunSpec spec, Task task) {
    if (!org.tokenrl.rollout.env.Environments.enabled(c)) {
      return;
    }
    if (spec.kind() != org.tokenrl.algorithms.AlgorithmKind.RL) {
      throw new ConfigException(
          "config error: rollout.env.name = "
              + c.getString("rollout.env.name")
              + " needs an RL algorithm (grpo, d3s, tempo, ...); set rollout.env.name = \"\"");
    }
    if (!spec.distributed().backend().equals(RolloutPools.LOCAL)
        && c.getString("distributed.rewards_on").equals("actors")) {
      throw new ConfigException(
          "config error: rollout.env with distributed.rewards_on = actors is not supported (the"
              + " environments' rewards are added by the trainer); set distributed.rewards_on ="
              + " trainer");
    }
    try {
      org.tokenrl.rollout.env.MultiTurnSettings settings =
          org.tokenrl.rollout.env.MultiTurn.settings(c);
      org.tokenrl.rollout.env.Environments.create(c).close();
      int maxNew = MaxNewTokens.of(c.getInt("rollout.max_new_tokens"), task);
      RunSpec.Model model = spec.model();
      StartChecks.checkLengths(
          model.contextKey(), model.context(), settings.totalTokens(maxNew), task);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("config error: " + e.getMessage());
    }
  }
}
