package org.tokenrl.rollout.env;

import java.util.List;
import java.util.Map;

/**
 * What a policy talks to in a multi-turn rollout: a tool box, a game, a user simulator. One
 * instance is created per rollout row (from its task row, {@link EnvRow}) and sees every policy
 * turn; it answers with the messages to append (an observation, e.g. a tool result) or ends the
 * rollout, optionally with a reward contribution that is added to the row's reward.
 *
 * <p>The tokens an environment's messages become are rendered by the model's chat template and
 * carry no loss: the policy is trained only on the tokens it sampled. An implementation is one
 * class with a public constructor {@code (EnvRow row, com.typesafe.config.Config options)}, named
 * by {@code rollout.env.name} (see {@link Environments}). Calls come from one thread at a time.
 */
public interface Environment extends AutoCloseable {

  /**
   * Tools the policy may call, as JSON schemas ({@code {"type": "function", "function": {"name",
   * "description", "parameters"}}}), rendered into the prompt through the chat template's {@code
   * tools} variable (or the system message when the template has none). Empty: no tools.
   */
  default List<Map<String, Object>> tools() {
    return List.of();
  }

  /**
   * Reacts to the policy's latest turn. Throwing (or exceeding {@code rollout.env_timeout_s}) fails
   * the row as {@code rollout.env_on_error} says.
   */
  EnvStep step(EnvTurn turn) throws Exception;

  @Override
  default void close() {}
}
