package org.tokenrl.rewards;

import com.typesafe.config.Config;
import java.util.Arrays;

/**
 * Test fixture: a provider registered in src/test/resources/META-INF/services under the short name
 * {@code constant}, scoring every row {@code value}.
 */
public final class ConstantRewardProvider implements RewardFunctionProvider {
  @Override
  public String name() {
    return "constant";
  }

  @Override
  public RewardFunction create(Config params) {
    double value = params.getDouble("value");
    return input -> {
      double[] scores = new double[input.size()];
      Arrays.fill(scores, value);
      return RewardScores.of(scores);
    };
  }
}
