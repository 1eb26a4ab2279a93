package org.tokenrl.trainer.loop;

import com.typesafe.config.Config;
import java.util.List;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.rollout.env.EnvRow;
import org.tokenrl.rollout.env.EnvStep;
import org.tokenrl.rollout.env.EnvTurn;
import org.tokenrl.rollout.env.Environment;

/**
 * A test environment named by class ({@code rollout.env.name}): after the policy's first turn it
 * answers with {@code options.text}, then ends the rollout with a reward of 0, 1 or 2 times {@code
 * options.reward} depending on the second turn's text (so groups have reward variance), so every
 * rollout has two policy turns around one environment observation.
 */
public final class OneObservationEnvironment implements Environment {
  private final String text;
  private final double reward;

  public OneObservationEnvironment(EnvRow row, Config options) {
    this.text = options.hasPath("text") ? options.getString("text") : "ok";
    this.reward = options.hasPath("reward") ? options.getDouble("reward") : 0.0;
  }

  @Override
  public EnvStep step(EnvTurn turn) {
    return turn.index() == 0
        ? EnvStep.next(List.of(new ChatTemplate.Message("tool", text)))
        : EnvStep.done(reward * Math.floorMod(turn.text().hashCode(), 3));
  }
}
