package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each built-in reward on hand-made cases. */
class RewardBuiltInsTest {

  private static RewardFunction create(String entry) {
    return RewardRegistry.create(ConfigFactory.parseString(entry));
  }

  private static double[] scores(String entry, RewardInput input) {
    return create(entry).score(input).scores();
  }

  @Test
  void builtInNamesAreTheDocumentedSeven() {
    assertEquals(
        List.of(
            "task", "exact_match", "numeric", "regex", "length_penalty", "bleu", "math", "python"),
        new ArrayList<>(RewardRegistry.builtInNames()));
  }

  @Test
  void taskAsksTheVerifierAboutEachRow() {
    // The verifier is row-dependent, so a reward that passed the wrong row index would fail.
    List<String> answers = List.of("5", "7", "9");
    List<Integer> asked = new ArrayList<>();
    RowVerifier verifier =
        (row, text) -> {
          asked.add(row);
          return answers.get(row).equals(text);
        };
    RewardInput input = Batches.of(3, List.of("5", "5", "9"), List.of("5", "7", "9"), verifier);
    assertArrayEquals(new double[] {1, 0, 1}, scores("name = task", input));
    assertEquals(List.of(0, 1, 2), asked);
  }

  @Test
  void taskWithoutVerifierFailsWithAdvice() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> scores("name = task", Batches.responses("5")));
    assertTrue(e.getMessage().contains("exact_match"), e.getMessage());
  }

  @Test
  void exactMatchTrimsByDefaultOnly() {
    RewardInput input =
        Batches.pairs(
            List.of(" Paris ", "paris", "New  York", "Paris!", "Paris"),
            List.of("Paris", "Paris", "New York", "Paris", "Paris"));
    assertArrayEquals(new double[] {1, 0, 0, 0, 1}, scores("name = exact_match", input));
  }

  @Test
  void exactMatchOptions() {
    RewardInput input =
        Batches.pairs(
            List.of(" Paris ", "PARIS", "New \t York", "Paris!", "  Pa, ris. "),
            List.of("Paris", "paris", "New York", "Paris", "Paris"));
    assertArrayEquals(
        new double[] {0, 0, 0, 0, 0}, scores("name = exact_match, trim = false", input));
    assertArrayEquals(
        new double[] {1, 1, 0, 0, 0}, scores("name = exact_match, ignore_case = true", input));
    assertArrayEquals(
        new double[] {1, 0, 1, 0, 0},
        scores("name = exact_match, collapse_whitespace = true", input));
    assertArrayEquals(
        new double[] {1, 0, 0, 1, 0},
        scores("name = exact_match, strip_punctuation = true", input));
    assertArrayEquals(
        new double[] {1, 1, 1, 1, 0},
        scores(
            "name = exact_match, ignore_case = true, collapse_whitespace = true,"
                + " strip_punctuation = true",
            input));
  }

  @Test
  void exactMatchStripsUnicodePunctuationToo() {
    RewardInput input = Batches.pairs(List.of("«oui» — ¿sí?"), List.of("oui  sí"));
    assertArrayEquals(
        new double[] {1},
        scores("name = exact_match, strip_punctuation = true, collapse_whitespace = true", input));
  }

  @Test
  void exactMatchNeedsAReference() {
    RewardFunction f = create("name = exact_match");
    assertThrows(IllegalArgumentException.class, () -> f.score(Batches.responses("x")));
  }

  @Test
  void builtInsRejectUnknownKeys() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> create("name = exact_match, ignore_cas = true"));
    assertTrue(e.getMessage().contains("ignore_cas"), e.getMessage());
    assertTrue(e.getMessage().contains("ignore_case"), e.getMessage());
  }

  @Test
  void numericComparesTheLastNumbers() {
    RewardInput input =
        Batches.pairs(
            List.of(
                "The answer is 42.",
                "x = -3",
                "10-3",
                "0.5",
                "I think 12, no wait, 13",
                "no number here",
                "7 apples",
                "v1.2.3",
                "42"),
            List.of("42", "-3", "-3", ".5", "12", "4", "#### 7", "1.2", "forty-two"));
    assertArrayEquals(new double[] {1, 1, 0, 1, 0, 0, 1, 1, 0}, scores("name = numeric", input));
  }

  @Test
  void numericThousandsSeparatorsAreOffByDefault() {
    RewardInput input =
        Batches.pairs(List.of("1,234", "1,234", "-1,234.5"), List.of("1234", "234", "-1234.5"));
    assertArrayEquals(new double[] {0, 1, 0}, scores("name = numeric", input));
    assertArrayEquals(
        new double[] {1, 0, 1}, scores("name = numeric, thousands_separators = true", input));
  }

  @Test
  void numericTolerances() {
    RewardInput input =
        Batches.pairs(
            List.of("3.14", "3.3", "1000", "1020"), List.of("3.1", "3.1", "1005", "1000"));
    assertArrayEquals(new double[] {0, 0, 0, 0}, scores("name = numeric", input));
    assertArrayEquals(new double[] {1, 0, 0, 0}, scores("name = numeric, tolerance = 0.1", input));
    assertArrayEquals(
        new double[] {1, 0, 1, 0}, scores("name = numeric, rel_tolerance = 0.015", input));
    assertThrows(IllegalArgumentException.class, () -> create("name = numeric, tolerance = -1"));
  }

  @Test
  void regexFullAndFind() {
    RewardInput input = Batches.responses("123", "a123", "abc");
    assertArrayEquals(new double[] {1, 0, 0}, scores("name = regex, pattern = \"\\\\d+\"", input));
    assertArrayEquals(
        new double[] {1, 1, 0}, scores("name = regex, pattern = \"\\\\d+\", mode = find", input));
  }

  @Test
  void regexParametersAreChecked() {
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> create("name = regex"));
    assertTrue(missing.getMessage().contains("pattern"), missing.getMessage());
    IllegalArgumentException mode =
        assertThrows(
            IllegalArgumentException.class, () -> create("name = regex, pattern = a, mode = all"));
    assertTrue(mode.getMessage().contains("full or find"), mode.getMessage());
    IllegalArgumentException syntax =
        assertThrows(IllegalArgumentException.class, () -> create("name = regex, pattern = \"(\""));
    assertTrue(syntax.getMessage().contains("not a valid regex"), syntax.getMessage());
  }

  @Test
  void lengthPenaltyLinear() {
    // One token per character with the character tokenizer.
    RewardInput input = Batches.responses("ab", "abc", "abcde");
    RewardScores s = create("name = length_penalty, target = 3, coef = 0.5").score(input);
    assertArrayEquals(new double[] {0, 0, -1.0}, s.scores(), 1e-12);
    assertArrayEquals(new double[] {0, 0}, s.tokenRewards()[0]);
    assertArrayEquals(new double[] {0, 0, 0}, s.tokenRewards()[1]);
    assertArrayEquals(new double[] {0, 0, 0, -0.5, -0.5}, s.tokenRewards()[2], 1e-12);
  }

  @Test
  void lengthPenaltyDefaultsChargeEveryToken() {
    RewardScores s = create("name = length_penalty").score(Batches.responses("abcd"));
    assertEquals(-0.04, s.scores()[0], 1e-12);
  }

  @Test
  void lengthPenaltyWindowIsCappedAtCoef() {
    RewardInput input = Batches.responses("ab", "abcd", "abcdefgh", "abcdefghijkl");
    RewardScores s = create("name = length_penalty, target = 2, window = 4, coef = 1").score(input);
    assertArrayEquals(new double[] {0, -0.5, -1.0, -1.0}, s.scores(), 1e-12);
    for (int i = 0; i < 4; i++) {
      double sum = 0;
      for (double t : s.tokenRewards()[i]) {
        sum += t;
      }
      assertEquals(s.scores()[i], sum, 1e-12, "row " + i);
    }
    assertArrayEquals(new double[] {0, 0, -0.25, -0.25}, s.tokenRewards()[1], 1e-12);
  }

  @Test
  void lengthPenaltyRejectsFractionalTarget() {
    assertThrows(
        IllegalArgumentException.class, () -> create("name = length_penalty, target = 2.5"));
  }
}
