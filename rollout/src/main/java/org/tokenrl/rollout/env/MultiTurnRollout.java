package org.tokenrl.rollout.env;

import java.util.List;

/**
 * One finished multi-turn rollout: the response is every token after the prompt, policy turns and
 * observations interleaved, with the loss mask telling them apart.
 *
 * @param promptIds the prompt as rendered with the environment's tools
 * @param responseIds policy and environment tokens, in order
 * @param logprobs sampling log-probs of policy tokens; 0 on environment tokens
 * @param entropies sampling entropies of policy tokens; 0 on environment tokens
 * @param lossMask true on the policy's tokens
 * @param turns {start, end} of each policy turn in {@code responseIds}, end exclusive
 * @param truncated the rollout hit a token budget (mid-turn, or an observation did not fit)
 * @param envReward the environment's reward contributions, summed; NaN when the environment failed
 *     under {@code rollout.env_on_error = zero}
 * @param end why it ended
 * @param error the failure's one-line message under {@code env_on_error = zero}, else null
 */
public record MultiTurnRollout(
    int[] promptIds,
    int[] responseIds,
    float[] logprobs,
    float[] entropies,
    boolean[] lossMask,
    List<int[]> turns,
    boolean truncated,
    double envReward,
    End end,
    String error) {

  /** Why a rollout ended. */
  public enum End {
    /** The environment said done (e.g. a turn without a tool call). */
    DONE,
    /** {@code rollout.max_turns} policy turns were written. */
    MAX_TURNS,
    /** A token budget ran out. */
    LENGTH,
    /** The environment failed (env_on_error = zero). */
    ERROR
  }
}
