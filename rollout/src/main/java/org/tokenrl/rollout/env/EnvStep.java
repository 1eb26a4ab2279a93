package org.tokenrl.rollout.env;

import java.util.List;
import org.tokenrl.core.ChatTemplate;

/**
 * An environment's answer to one policy turn.
 *
 * @param observation messages appended to the conversation before the policy's next turn (e.g. one
 *     {@code tool} message per call); empty when {@code done}
 * @param done the rollout ends after this turn
 * @param reward added to the row's reward (summed over the rollout's steps)
 */
public record EnvStep(List<ChatTemplate.Message> observation, boolean done, double reward) {
  public EnvStep {
    observation = List.copyOf(observation);
    if (!done && observation.isEmpty()) {
      throw new IllegalArgumentException(
          "an environment step that does not end the rollout needs an observation");
    }
  }

  /** Continue with these messages. */
  public static EnvStep next(List<ChatTemplate.Message> observation) {
    return new EnvStep(observation, false, 0.0);
  }

  /** End the rollout with a reward contribution. */
  public static EnvStep done(double reward) {
    return new EnvStep(List.of(), true, reward);
  }
}
