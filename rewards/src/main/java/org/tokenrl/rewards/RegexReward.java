package org.tokenrl.rewards;

import com.typesafe.config.Config;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code regex}: 1.0 when the response matches {@code pattern} (required, Java regex syntax), else
 * 0.0. {@code mode} (default {@code full}): {@code full} needs the whole response to match, {@code
 * find} any part of it. Use it for format rewards, e.g. {@code pattern = "\\d+", mode = full}.
 */
public final class RegexReward implements RewardFunction {
  public static final String NAME = "regex";

  private final Pattern pattern;
  private final boolean full;

  public RegexReward(Config params) {
    RewardParams p = RewardParams.of(params, NAME, "pattern", "mode");
    String source = p.requiredString("pattern");
    String mode = p.string("mode", "full");
    p.require(mode.equals("full") || mode.equals("find"), "mode", "must be full or find: " + mode);
    full = mode.equals("full");
    try {
      pattern = Pattern.compile(source);
    } catch (PatternSyntaxException e) {
      // getMessage() spans three lines (pattern and caret): keep the error to one.
      throw new IllegalArgumentException(
          NAME
              + ".pattern '"
              + source
              + "' is not a valid regex: "
              + e.getDescription()
              + " near index "
              + e.getIndex());
    }
  }

  @Override
  public RewardScores score(RewardInput input) {
    double[] scores = new double[input.size()];
    for (int i = 0; i < scores.length; i++) {
      Matcher m = pattern.matcher(input.responseTexts().get(i));
      scores[i] = (full ? m.matches() : m.find()) ? 1.0 : 0.0;
    }
    return RewardScores.of(scores);
  }

  @Override
  public String name() {
    return NAME;
  }
}
