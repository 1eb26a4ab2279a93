package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.tokenrl.rewards.MathAnswer.Rational;

/** One test per extraction, normalisation and comparison rule of the {@code math} reward. */
class MathRewardTest {
  private static final MathReward MATH = reward("name = math");

  private static MathReward reward(String hocon) {
    return new MathReward(ConfigFactory.parseString(hocon));
  }

  private static Optional<String> extract(String response) {
    return MathAnswer.extract(response);
  }

  private static Rational rational(long num, long den) {
    return new Rational(BigInteger.valueOf(num), BigInteger.valueOf(den), false);
  }

  @Test
  void extractsTheLastBoxedWithNestedBraces() {
    assertEquals(Optional.of("\\frac{1}{2}"), extract("so \\boxed{3} no, \\boxed{\\frac{1}{2}}."));
    assertEquals(Optional.of("\\frac{\\sqrt{3}}{2}"), extract("$\\boxed{\\frac{\\sqrt{3}}{2}}$"));
    assertEquals(Optional.of("7"), extract("\\fbox{7}"));
    assertEquals(Optional.of("5"), extract("$\\boxed 5$"));
  }

  @Test
  void anUnclosedBoxFallsBackToNothing() {
    assertEquals(Optional.empty(), MathAnswer.lastBoxed("\\boxed{1 + {2}"));
  }

  @Test
  void extractsTheLineAfterGsm8kHashes() {
    assertEquals(Optional.of("1,234"), extract("3 * 4 = 12\n#### 1,234"));
    assertEquals(Optional.of("42"), extract("#### 42\nextra words 7"));
    assertEquals(Optional.of("$18 in total"), extract("#### $18 in total"));
    assertTrue(MATH.matches("#### $18 in total", "18"));
  }

  @Test
  void extractsAfterTheAnswerIs() {
    assertEquals(Optional.of("12 apples."), extract("I count 3 and 9. The answer is 12 apples."));
    assertEquals(Optional.of("$\\frac{1}{2}$."), extract("So the answer is $\\frac{1}{2}$."));
    assertEquals(Optional.of("7"), extract("Answer: 7"));
    assertEquals(Optional.of("5"), extract("The answer is 5, because 2 + 3 = 5 and then 6"));
  }

  @Test
  void theBoxWinsOverHashesAndAnswerIs() {
    assertEquals(Optional.of("3"), extract("The answer is 4.\n#### 5\n\\boxed{3}"));
    assertEquals(Optional.of("5"), extract("The answer is 4.\n#### 5"));
  }

  @Test
  void fallsBackToTheLastNumber() {
    assertEquals(Optional.of("12"), extract("first 5 then add 7 to get 12 total"));
    assertEquals(Optional.of("-4"), extract("x is -4"));
    assertEquals(Optional.of("3"), extract("it is 10-3"));
    assertEquals(Optional.of("1,000,000"), extract("about 1,000,000"));
    assertEquals(Optional.of("2"), extract("the list 1,2"));
    assertEquals(Optional.of("3/4"), extract("it is 3/4"));
    assertEquals(Optional.of("9/13"), extract("The probability is 9/13."));
    assertEquals(Optional.of("\\frac{3}{4}"), extract("it is \\frac{3}{4}"));
    assertEquals(Optional.of("25%"), extract("a rise of 25%"));
    assertEquals(Optional.of("0.5"), extract("p = 0.5."));
    assertEquals(Optional.empty(), extract("no number here"));
  }

  @Test
  void normalisesLatexAndUnits() {
    assertEquals("\\frac{3}{4}", MathAnswer.normalise("\\dfrac{3}{4}"));
    assertEquals("\\frac{3}{4}", MathAnswer.normalise("\\tfrac34"));
    assertEquals("(3,4)", MathAnswer.normalise("\\left( 3, 4 \\right)"));
    assertEquals("5", MathAnswer.normalise("5\\text{ cm}"));
    assertEquals("5", MathAnswer.normalise("\\text{5}"));
    assertEquals("1000", MathAnswer.normalise("1\\!000"));
    assertEquals("1,000", MathAnswer.normalise("1{,}000"));
    assertEquals("18", MathAnswer.normalise("\\$18"));
    assertEquals("18.50", MathAnswer.normalise("$18.50$."));
    assertEquals("50%", MathAnswer.normalise("50\\%"));
    assertEquals("50%", MathAnswer.normalise("50 percent"));
    assertEquals("90", MathAnswer.normalise("90^\\circ"));
    assertEquals("12", MathAnswer.normalise("12 apples."));
    assertEquals("5", MathAnswer.normalise("x = 5"));
    assertEquals("5", MathAnswer.normalise("USD 5"));
    assertEquals("x^2+1", MathAnswer.normalise(" x^2 + 1 "));
  }

  @Test
  void parsesNumbersAsExactRationals() {
    assertEquals(Optional.of(rational(1234, 1)), MathAnswer.number("1,234"));
    assertEquals(Optional.of(rational(-3, 1)), MathAnswer.number("-3"));
    assertEquals(Optional.of(rational(3, 4)), MathAnswer.number("\\frac{6}{8}"));
    assertEquals(Optional.of(rational(-3, 4)), MathAnswer.number("-\\frac{3}{4}"));
    assertEquals(Optional.of(rational(-3, 4)), MathAnswer.number("\\frac{-3}{4}"));
    assertEquals(Optional.of(rational(3, 2)), MathAnswer.number("1\\frac{1}{2}"));
    assertEquals(Optional.of(rational(2, 3)), MathAnswer.number("4/6"));
    assertEquals(Optional.of(rational(5, 1)), MathAnswer.number("(5)"));
    Rational half = MathAnswer.number(".5").orElseThrow();
    assertEquals(rational(1, 2).num(), half.num());
    assertTrue(half.decimal(), "a decimal point was written");
    assertEquals(Optional.empty(), MathAnswer.number("\\frac{1}{0}"));
    assertEquals(Optional.empty(), MathAnswer.number("\\sqrt{2}"));
    assertEquals(Optional.empty(), MathAnswer.number("1,23"));
  }

  @Test
  void aPercentageMeansBothPAndPOver100() {
    assertEquals(List.of(rational(25, 1), rational(1, 4)), MathAnswer.parse("25\\%").values());
    assertTrue(MATH.matches("\\boxed{25\\%}", "25"));
    assertTrue(MATH.matches("\\boxed{25\\%}", "0.25"));
    assertTrue(MATH.matches("\\boxed{25}", "25\\%"));
    assertFalse(MATH.matches("\\boxed{25\\%}", "0.26"));
  }

  @Test
  void fractionsAndIntegersCompareExactly() {
    assertTrue(MATH.matches("\\boxed{\\frac{2}{4}}", "1/2"));
    assertTrue(MATH.matches("\\boxed{-\\dfrac{6}{9}}", "-\\frac{2}{3}"));
    assertFalse(MATH.matches("\\boxed{\\frac{1}{3}}", "\\frac{1000001}{3000000}"));
    // Beyond a double's 53 bits: exact rationals still tell these apart.
    assertFalse(MATH.matches("\\boxed{9007199254740993}", "9007199254740992"));
    assertTrue(
        MATH.matches("#### 123456789012345678901234567890", "123456789012345678901234567890"));
  }

  @Test
  void decimalsCompareAfterRoundingToFloatRounding() {
    assertTrue(MATH.matches("\\boxed{3.0}", "3"));
    assertTrue(MATH.matches("#### 18.00", "18"));
    assertTrue(MATH.matches("\\boxed{0.333333}", "\\frac{1}{3}"));
    assertFalse(MATH.matches("\\boxed{0.3333}", "\\frac{1}{3}"));
    assertTrue(MATH.matches("\\boxed{0.75}", "\\frac{3}{4}"));
    assertTrue(MATH.matches("\\boxed{2.0000001}", "2"));
    assertFalse(MATH.matches("\\boxed{2.01}", "2"));
    // Rounding is half-even, as sympy's: 0.0000025 rounds to 0.000002.
    assertTrue(MATH.matches("\\boxed{0.0000025}", "0.000002"));
    MathReward coarse = reward("name = math, float_rounding = 2");
    assertTrue(coarse.matches("\\boxed{0.3333}", "\\frac{1}{3}"));
    assertFalse(coarse.matches("\\boxed{0.34}", "\\frac{1}{3}"));
  }

  @Test
  void nonNumbersCompareAsNormalisedText() {
    assertTrue(MATH.matches("\\boxed{x^2 + 1}", "x^2+1"));
    assertTrue(MATH.matches("\\boxed{\\dfrac{\\sqrt{3}}{2}}", "\\frac{\\sqrt{3}}{2}"));
    assertTrue(MATH.matches("\\boxed{\\text{Yes}}", "yes"));
    assertFalse(MATH.matches("\\boxed{2x}", "x*2"));
    assertFalse(MATH.matches("\\boxed{}", ""));
  }

  @Test
  void readsAWrappedReferenceTheSameWay() {
    assertTrue(MATH.matches("The answer is 72.", "Natalia sold 48+24 = 72 clips.\n#### 72"));
    assertTrue(MATH.matches("#### 5", "so $\\boxed{5}$"));
  }

  @Test
  void scoresRowsOneOrZero() {
    RewardInput input =
        Batches.pairs(
            List.of("\\boxed{4}", "#### 5", "The answer is $1,000.", "no idea"),
            List.of("4", "4", "1000", "4"));
    RewardScores scores =
        RewardRegistry.create(ConfigFactory.parseString("name = math")).score(input);
    assertArrayEquals(new double[] {1, 0, 1, 0}, scores.scores());
  }

  @Test
  void rejectsBadParameters() {
    assertThrows(IllegalArgumentException.class, () -> reward("name = math, float_rounding = -1"));
    assertThrows(IllegalArgumentException.class, () -> reward("name = math, float_rounding = 1.5"));
    assertThrows(RuntimeException.class, () -> reward("name = math, tolerance = 0.1"));
  }

  @Test
  void aRowWithoutReferenceIsAnError() {
    RewardInput input = Batches.responses("\\boxed{4}");
    assertThrows(RuntimeException.class, () -> MATH.score(input));
  }
}
