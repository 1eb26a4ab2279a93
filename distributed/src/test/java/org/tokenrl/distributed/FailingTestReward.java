package org.tokenrl.distributed;

import com.typesafe.config.Config;
import org.tokenrl.rewards.RewardFunction;
import org.tokenrl.rewards.RewardInput;
import org.tokenrl.rewards.RewardScores;

/**
 * A reward configured by class name (so Ray workers load it from the test classpath) that throws on
 * every row whose prompt text is {@code fail_on_prompt} and scores 0 elsewhere.
 */
public final class FailingTestReward implements RewardFunction {
  private final String failOnPrompt;

  public FailingTestReward(Config params) {
    this.failOnPrompt = params.getString("fail_on_prompt");
  }

  @Override
  public RewardScores score(RewardInput input) {
    for (String prompt : input.promptTexts()) {
      if (prompt.equals(failOnPrompt)) {
        throw new IllegalArgumentException("cannot score prompt \"" + prompt + "\"");
      }
    }
    return RewardScores.of(new double[input.size()]);
  }
}
