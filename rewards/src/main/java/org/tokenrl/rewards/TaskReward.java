package org.tokenrl.rewards;

import com.typesafe.config.Config;

/**
 * {@code task}: 1.0 when the task's verifier says the response is correct, else 0.0. No parameters.
 * Fails when the batch carries no verifier (the task has none: use {@code exact_match} or {@code
 * numeric} against the references instead).
 */
public final class TaskReward implements RewardFunction {
  public static final String NAME = "task";

  public TaskReward(Config params) {
    RewardParams.of(params, NAME);
  }

  @Override
  public RewardScores score(RewardInput input) {
    if (input.verifier() == null) {
      throw new IllegalStateException(
          "the task has no verifier; use exact_match or numeric against the references instead");
    }
    double[] scores = new double[input.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = input.verifier().isCorrect(i, input.responseTexts().get(i)) ? 1.0 : 0.0;
    }
    return RewardScores.of(scores);
  }

  @Override
  public String name() {
    return NAME;
  }
}
