package org.tokenrl.rewards;

import com.typesafe.config.Config;
import java.util.Optional;
import org.tokenrl.rewards.MathAnswer.Answer;
import org.tokenrl.rewards.MathAnswer.Rational;

/**
 * {@code math}: 1.0 when the final answer of the response equals the reference answer, else 0.0
 * (also 0.0 when the response has no answer). A math-answer verifier for GSM8K/MATH-style tasks,
 * checked against HuggingFace's math-verify (see rewards/README.md, "math").
 *
 * <p>The response's answer is found by {@link MathAnswer#extract}: the last {@code \boxed{...}},
 * else the line after {@code ####}, else the line after "the answer is", else the last number. The
 * reference is read the same way when it holds a {@code \boxed} or {@code ####}, else whole. Both
 * are normalised ({@link MathAnswer#normalise}) and, when they are numbers, compared as numbers:
 * exactly (as rationals) when both are integers or fractions, and after rounding both to {@code
 * float_rounding} decimals when either was written with a decimal point, as math-verify does. A
 * percentage {@code p%} matches {@code p} and {@code p/100}. Answers that are not numbers match
 * when their normalised texts are equal (ignoring case).
 *
 * <p>Parameters (defaults): {@code float_rounding} (6, math-verify's {@code verify} default)
 * decimal places kept before comparing a decimal. A row without a reference is an error.
 */
public final class MathReward implements RewardFunction {
  public static final String NAME = "math";

  private final int floatRounding;

  public MathReward(Config params) {
    RewardParams p = RewardParams.of(params, NAME, "float_rounding");
    double places = p.number("float_rounding", 6);
    p.require(
        places >= 0 && places <= 100 && places == Math.rint(places),
        "float_rounding",
        "must be a whole number of decimal places in [0, 100]");
    floatRounding = (int) places;
  }

  @Override
  public RewardScores score(RewardInput input) {
    double[] scores = new double[input.size()];
    for (int i = 0; i < scores.length; i++) {
      String reference = input.requireReference(i);
      scores[i] = matches(input.responseTexts().get(i), reference) ? 1.0 : 0.0;
    }
    return RewardScores.of(scores);
  }

  /** Whether {@code response}'s final answer equals the answer in {@code reference}. */
  boolean matches(String response, String reference) {
    Optional<String> answer = MathAnswer.extract(response);
    if (answer.isEmpty()) {
      return false;
    }
    boolean wrapped = reference.contains("\\boxed") || reference.contains("####");
    String expected = wrapped ? MathAnswer.extract(reference).orElse(reference) : reference;
    return equal(MathAnswer.parse(answer.get()), MathAnswer.parse(expected));
  }

  private boolean equal(Answer a, Answer b) {
    if (a.values().isEmpty() || b.values().isEmpty()) {
      return !a.text().isEmpty() && a.text().equals(b.text());
    }
    for (Rational x : a.values()) {
      for (Rational y : b.values()) {
        if (equal(x, y)) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean equal(Rational x, Rational y) {
    if (x.decimal() || y.decimal()) {
      return x.rounded(floatRounding).compareTo(y.rounded(floatRounding)) == 0;
    }
    return x.equals(y);
  }

  @Override
  public String name() {
    return NAME;
  }
}
