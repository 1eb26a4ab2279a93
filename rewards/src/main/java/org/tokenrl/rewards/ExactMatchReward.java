package org.tokenrl.rewards;

import com.typesafe.config.Config;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code exact_match}: 1.0 when the response equals the reference after normalisation, else 0.0.
 *
 * <p>Parameters (defaults): {@code trim} (true) strips leading and trailing whitespace; {@code
 * ignore_case} (false) compares lower-cased text; {@code collapse_whitespace} (false) turns every
 * whitespace run into one space; {@code strip_punctuation} (false) deletes ASCII punctuation (the
 * set of Python's {@code string.punctuation}) and Unicode punctuation. Both sides are normalised in
 * the order punctuation, whitespace, trim, case. A row without a reference is an error.
 */
public final class ExactMatchReward implements RewardFunction {
  public static final String NAME = "exact_match";
  private static final Pattern PUNCTUATION = Pattern.compile("[\\p{Punct}\\p{IsPunctuation}]");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private final boolean trim;
  private final boolean ignoreCase;
  private final boolean collapseWhitespace;
  private final boolean stripPunctuation;

  public ExactMatchReward(Config params) {
    RewardParams p =
        RewardParams.of(
            params, NAME, "trim", "ignore_case", "collapse_whitespace", "strip_punctuation");
    trim = p.bool("trim", true);
    ignoreCase = p.bool("ignore_case", false);
    collapseWhitespace = p.bool("collapse_whitespace", false);
    stripPunctuation = p.bool("strip_punctuation", false);
  }

  @Override
  public RewardScores score(RewardInput input) {
    double[] scores = new double[input.size()];
    for (int i = 0; i < scores.length; i++) {
      String reference = input.requireReference(i);
      boolean same = normalise(input.responseTexts().get(i)).equals(normalise(reference));
      scores[i] = same ? 1.0 : 0.0;
    }
    return RewardScores.of(scores);
  }

  String normalise(String text) {
    String s = text;
    if (stripPunctuation) {
      s = PUNCTUATION.matcher(s).replaceAll("");
    }
    if (collapseWhitespace) {
      s = WHITESPACE.matcher(s).replaceAll(" ");
    }
    if (trim) {
      s = s.strip();
    }
    return ignoreCase ? s.toLowerCase(Locale.ROOT) : s;
  }

  @Override
  public String name() {
    return NAME;
  }
}
