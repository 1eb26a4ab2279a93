package org.tokenrl.rewards;

/** Test fixture: a user reward with only a no-arg constructor, loaded by class name. */
public final class ResponseLengthReward implements RewardFunction {
  @Override
  public RewardScores score(RewardInput input) {
    double[] scores = new double[input.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = input.responseTexts().get(i).length();
    }
    return RewardScores.of(scores);
  }
}
