package com.example;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Locale;
import org.tokenrl.rewards.RewardFunction;
import org.tokenrl.rewards.RewardInput;
import org.tokenrl.rewards.RewardScores;

/** Rewards responses that mention the given keywords: bonus × the fraction of keywords present. */
public final class KeywordReward implements RewardFunction {
  private final List<String> keywords;
  private final double bonus;

  /** {@code params} is the whole rewards entry: {name, weight, keywords, bonus}. */
  public KeywordReward(Config params) {
    keywords = params.getStringList("keywords"); // required
    bonus = params.hasPath("bonus") ? params.getDouble("bonus") : 1.0; // default 1.0
    if (keywords.isEmpty()) {
      throw new IllegalArgumentException("keyword_reward.keywords must not be empty");
    }
  }

  @Override
  public RewardScores score(RewardInput input) {
    double[] scores = new double[input.size()];
    for (int i = 0; i < scores.length; i++) {
      String response = input.responseTexts().get(i).toLowerCase(Locale.ROOT);
      int found = 0;
      for (String keyword : keywords) {
        found += response.contains(keyword.toLowerCase(Locale.ROOT)) ? 1 : 0;
      }
      scores[i] = bonus * found / keywords.size();
    }
    return RewardScores.of(scores);
  }
}
