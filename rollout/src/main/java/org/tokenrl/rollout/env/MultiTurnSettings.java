package org.tokenrl.rollout.env;

import java.util.List;

/**
 * How a multi-turn rollout is bounded.
 *
 * @param maxTurns policy turns at most ({@code rollout.max_turns})
 * @param turnTokens tokens the policy may write in one turn; 0 = the sampling settings' {@code
 *     maxNewTokens} ({@code rollout.max_new_tokens})
 * @param totalTokens response tokens at most, policy and environment together ({@code
 *     rollout.max_total_tokens}); a turn gets what is left, and an observation that does not fit
 *     ends the rollout as truncated. 0 = {@code 2 × maxTurns × turnTokens}
 * @param stopStrings text that ends a policy turn when it appears (e.g. {@code </tool_call>}), on
 *     top of the model's end-of-turn tokens; the turn keeps the token that completed it
 * @param onError what an environment failure does ({@code rollout.env_on_error})
 * @param timeoutSeconds bound on one environment step ({@code rollout.env_timeout_s})
 */
public record MultiTurnSettings(
    int maxTurns,
    int turnTokens,
    int totalTokens,
    List<String> stopStrings,
    OnError onError,
    double timeoutSeconds) {

  /** {@code rollout.env_on_error}: fail the run, or give the row reward 0 and end it. */
  public enum OnError {
    FAIL,
    ZERO;

    public static OnError parse(String value) {
      return switch (value) {
        case "fail" -> FAIL;
        case "zero" -> ZERO;
        default ->
            throw new IllegalArgumentException(
                "rollout.env_on_error must be fail or zero, got '" + value + "'");
      };
    }
  }

  /** The turn budget under sampling settings whose limit is {@code maxNewTokens}. */
  public int turnTokens(int maxNewTokens) {
    return turnTokens > 0 ? turnTokens : maxNewTokens;
  }

  /** The total budget under sampling settings whose limit is {@code maxNewTokens}. */
  public int totalTokens(int maxNewTokens) {
    return totalTokens > 0 ? totalTokens : 2 * maxTurns * turnTokens(maxNewTokens);
  }

  public MultiTurnSettings {
    stopStrings = List.copyOf(stopStrings);
    if (maxTurns < 1) {
      throw new IllegalArgumentException("rollout.max_turns must be >= 1, got " + maxTurns);
    }
    if (turnTokens < 0) {
      throw new IllegalArgumentException("rollout.max_new_tokens must be >= 0, got " + turnTokens);
    }
    if (totalTokens < 0) {
      throw new IllegalArgumentException(
          "rollout.max_total_tokens must be >= 0, got " + totalTokens);
    }
    if (!(timeoutSeconds > 0)) {
      throw new IllegalArgumentException(
          "rollout.env_timeout_s must be > 0, got " + timeoutSeconds);
    }
  }
}
