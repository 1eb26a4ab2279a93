package org.tokenrl.rewards;

import com.typesafe.config.Config;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code numeric}: 1.0 when the last number in the response equals the last number in the reference
 * within tolerance, else 0.0 (also 0.0 when either has no number).
 *
 * <p>Numbers are integers or decimals ({@code 42}, {@code -3}, {@code 0.5}, {@code .5}); a minus is
 * a sign only when no letter or digit precedes it, so {@code 10-3} ends in {@code 3}. With {@code
 * thousands_separators} the comma groups of {@code 1,234.5} are one number; without it (the
 * default, since {@code 1,2} is more often a list) {@code 1,234} ends in {@code 234}.
 *
 * <p>Parameters (defaults): {@code tolerance} (0) absolute, {@code rel_tolerance} (0) relative to
 * the larger magnitude; a match within either counts, as in Python's {@code math.isclose}. {@code
 * thousands_separators} (false). A row without a reference is an error.
 */
public final class NumericReward implements RewardFunction {
  public static final String NAME = "numeric";
  private static final String PLAIN = "\\d+(?:\\.\\d+)?|\\.\\d+";
  private static final String GROUPED = "\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?";
  // The first lookbehind makes '-' a sign only at a word start; the second keeps a match from
  // starting inside a decimal (the ".3" or "3" of "1.2.3").
  private static final String SIGN = "(?:(?<![\\w.])-)?(?<![\\d.])";

  private final double tolerance;
  private final double relTolerance;
  private final Pattern number;

  public NumericReward(Config params) {
    RewardParams p =
        RewardParams.of(params, NAME, "tolerance", "rel_tolerance", "thousands_separators");
    tolerance = p.number("tolerance", 0.0);
    relTolerance = p.number("rel_tolerance", 0.0);
    p.require(tolerance >= 0 && Double.isFinite(tolerance), "tolerance", "must be >= 0");
    p.require(relTolerance >= 0 && Double.isFinite(relTolerance), "rel_tolerance", "must be >= 0");
    boolean grouped = p.bool("thousands_separators", false);
    number = Pattern.compile(SIGN + "(?:" + (grouped ? GROUPED + "|" : "") + PLAIN + ")");
  }

  @Override
  public RewardScores score(RewardInput input) {
    double[] scores = new double[input.size()];
    for (int i = 0; i < scores.length; i++) {
      String reference = input.requireReference(i);
      OptionalDouble answer = lastNumber(input.responseTexts().get(i));
      OptionalDouble expected = lastNumber(reference);
      boolean close =
          answer.isPresent()
              && expected.isPresent()
              && isClose(answer.getAsDouble(), expected.getAsDouble());
      scores[i] = close ? 1.0 : 0.0;
    }
    return RewardScores.of(scores);
  }

  /** The last number in {@code text}, if any. */
  OptionalDouble lastNumber(String text) {
    Matcher m = number.matcher(text);
    String last = null;
    while (m.find()) {
      last = m.group();
    }
    return last == null
        ? OptionalDouble.empty()
        : OptionalDouble.of(Double.parseDouble(last.replace(",", "")));
  }

  private boolean isClose(double a, double b) {
    double diff = Math.abs(a - b);
    return diff <= tolerance || diff <= relTolerance * Math.max(Math.abs(a), Math.abs(b));
  }

  @Override
  public String name() {
    return NAME;
  }
}
