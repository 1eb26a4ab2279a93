package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tokenrl.rewards.CompositeReward.Component;
import org.tokenrl.rewards.CompositeReward.OnError;

/** The weighted sum, its metrics and per-token rewards, and each error kind under stop and zero. */
class RewardCompositeTest {

  // Two prompts × two responses, group-major; the verifier accepts the reference.
  private static final List<String> RESPONSES = List.of("4", "five", "9 ", "10");
  private static final List<String> REFERENCES = List.of("4", "4", "9", "9");
  private static final RewardInput INPUT =
      Batches.of(2, RESPONSES, REFERENCES, (row, text) -> text.equals(REFERENCES.get(row)));

  private static Config config(String text) {
    return ConfigFactory.parseString(text);
  }

  @Test
  void totalIsTheWeightedSumOfComponents() {
    CompositeReward reward =
        CompositeReward.fromConfig(
            config(
                "rewards = [{name = task, weight = 1.0},"
                    + " {name = exact_match, weight = 0.5},"
                    + " {name = length_penalty, weight = 2.0, coef = 0.1, target = 1}]"));
    RewardResult r = reward.score(INPUT);

    assertEquals(
        List.of("task", "exact_match", "length_penalty"), List.copyOf(r.components().keySet()));
    double[] task = r.components().get("task");
    double[] exact = r.components().get("exact_match");
    double[] length = r.components().get("length_penalty");
    assertArrayEquals(new double[] {1, 0, 0, 0}, task);
    assertArrayEquals(new double[] {1, 0, 1, 0}, exact); // "9 " is trimmed
    assertArrayEquals(new double[] {0, -0.3, -0.1, -0.1}, length, 1e-12);
    for (int i = 0; i < 4; i++) {
      assertEquals(1.0 * task[i] + 0.5 * exact[i] + 2.0 * length[i], r.total()[i], 1e-12);
    }
    assertEquals(0, r.errors());
  }

  @Test
  void metricsAreUnweightedComponentMeansAndTheTotalMean() {
    RewardResult r =
        CompositeReward.fromConfig(
                config(
                    "rewards = [{name = task, weight = 2.0}, {name = exact_match, weight = -1}]"))
            .score(INPUT);
    Map<String, Double> m = r.metrics();
    assertEquals(
        Map.of(
            "reward/task_mean", 0.25,
            "reward/exact_match_mean", 0.5,
            "reward/errors", 0.0),
        m);
    // The total's mean is the trainer's train/reward_mean (docs/metrics.md): logged once, there.
    assertEquals(
        (2.0 * 0.25) - 0.5, java.util.Arrays.stream(r.total()).average().orElseThrow(), 1e-12);
  }

  @Test
  void duplicatedNamesGetTheirIndex() {
    CompositeReward reward =
        CompositeReward.fromConfig(
            config(
                "rewards = [{name = regex, pattern = \"\\\\d+\"}, {name = task},"
                    + " {name = regex, pattern = \"\\\\d+ \", weight = 3}]"));
    RewardResult r = reward.score(INPUT);
    assertEquals(List.of("regex_0", "task", "regex_2"), List.copyOf(r.components().keySet()));
    assertArrayEquals(new double[] {1, 0, 0, 1}, r.components().get("regex_0"));
    assertArrayEquals(new double[] {0, 0, 1, 0}, r.components().get("regex_2"));
    assertTrue(r.metrics().containsKey("reward/regex_2_mean"));
  }

  @Test
  void tokenRewardsSumToTotalWithOutcomesOnTheLastToken() {
    RewardResult r =
        CompositeReward.fromConfig(
                config(
                    "rewards = [{name = task, weight = 1.0},"
                        + " {name = length_penalty, weight = 0.5, coef = 1, target = 2}]"))
            .score(INPUT);
    // "five": 4 tokens, task 0, length excess 2 on tokens 2 and 3, each -1 × 0.5.
    assertArrayEquals(new double[] {0, 0, -0.5, -0.5}, r.tokenRewards()[1], 1e-12);
    // "4": one token carrying the task reward.
    assertArrayEquals(new double[] {1.0}, r.tokenRewards()[0], 1e-12);
    for (int i = 0; i < 4; i++) {
      assertEquals(RESPONSES.get(i).length(), r.tokenRewards()[i].length);
      double sum = 0;
      for (double t : r.tokenRewards()[i]) {
        sum += t;
      }
      assertEquals(r.total()[i], sum, 1e-12, "row " + i);
    }
  }

  @Test
  void noTokenRewardsWhenNoComponentGivesThem() {
    RewardResult r = CompositeReward.fromConfig(config("rewards = [{name = task}]")).score(INPUT);
    assertNull(r.tokenRewards());
  }

  @Test
  void onErrorIsReadFromConfigAndChecked() {
    assertEquals(
        OnError.STOP, CompositeReward.fromConfig(config("rewards = [{name = task}]")).onError());
    assertEquals(
        OnError.ZERO,
        CompositeReward.fromConfig(config("rewards = [{name = task}], reward.on_error = zero"))
            .onError());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompositeReward.fromConfig(
                    config("rewards = [{name = task}], reward.on_error = skip")));
    assertTrue(e.getMessage().contains("stop or zero"), e.getMessage());
  }

  @Test
  void emptyRewardsAndBadEntriesAreRejectedWithTheirIndex() {
    assertThrows(
        IllegalArgumentException.class, () -> CompositeReward.fromConfig(config("rewards = []")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompositeReward.fromConfig(
                    config("rewards = [{name = task}, {name = regex, patern = x}]")));
    assertTrue(e.getMessage().startsWith("rewards[1]:"), e.getMessage());
    assertTrue(e.getMessage().contains("patern"), e.getMessage());
  }

  // ---- errors: each kind under stop and zero ----

  /** Scores 1 per row, except rows whose response contains "five" get {@code bad}. */
  private static RewardFunction badOnFive(double bad) {
    return input -> {
      double[] s = new double[input.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = input.responseTexts().get(i).contains("five") ? bad : 1.0;
      }
      return RewardScores.of(s);
    };
  }

  /** Throws when it meets "five" anywhere in the batch, like a parser choking on one sample. */
  private static final RewardFunction THROWS_ON_FIVE =
      input -> {
        if (input.responseTexts().contains("five")) {
          throw new NumberFormatException("For input string: \"five\"");
        }
        return badOnFive(0).score(input);
      };

  /** Returns one score too few when the batch contains "five". */
  private static final RewardFunction SHORT_ON_FIVE =
      input -> {
        double[] s = badOnFive(0).score(input).scores();
        boolean drop = input.responseTexts().contains("five");
        return RewardScores.of(drop ? new double[s.length - 1] : s);
      };

  private static CompositeReward withBad(RewardFunction bad, OnError onError) {
    return new CompositeReward(
        List.of(
            new Component("exact_match", 1.0, RewardRegistry.create(config("name = exact_match"))),
            new Component("bad", 0.5, bad)),
        onError);
  }

  private static void assertStopsAtSampleOne(RewardFunction bad, String problem) {
    RewardException e =
        assertThrows(RewardException.class, () -> withBad(bad, OnError.STOP).score(INPUT));
    assertEquals("bad", e.function());
    assertEquals(1, e.sample());
    String m = e.getMessage();
    assertTrue(m.contains("reward 'bad'"), m);
    assertTrue(m.contains("sample 1"), m);
    assertTrue(m.contains("\"five\""), m);
    assertTrue(m.contains(problem), m);
    assertTrue(m.contains("reward.on_error = zero"), m);
  }

  private static void assertZeroesSampleOne(RewardFunction bad) {
    RewardResult r = withBad(bad, OnError.ZERO).score(INPUT);
    assertArrayEquals(new double[] {1, 0, 1, 1}, r.components().get("bad"));
    assertEquals(1, r.errors());
    assertEquals(1.0, r.metrics().get("reward/errors"));
    double[] exact = r.components().get("exact_match");
    for (int i = 0; i < 4; i++) {
      assertTrue(Double.isFinite(r.total()[i]));
      assertEquals(exact[i] + 0.5 * r.components().get("bad")[i], r.total()[i], 1e-12);
    }
    assertEquals(0.75, r.metrics().get("reward/bad_mean"), 1e-12);
  }

  @Test
  void throwStopsNamingTheLocalisedSample() {
    assertStopsAtSampleOne(THROWS_ON_FIVE, "NumberFormatException");
    RewardException e =
        assertThrows(
            RewardException.class, () -> withBad(THROWS_ON_FIVE, OnError.STOP).score(INPUT));
    assertTrue(e.getCause() instanceof NumberFormatException);
  }

  @Test
  void throwUnderZeroScoresOnlyThatSampleZero() {
    assertZeroesSampleOne(THROWS_ON_FIVE);
  }

  @Test
  void nanStops() {
    assertStopsAtSampleOne(badOnFive(Double.NaN), "returned NaN");
  }

  @Test
  void nanUnderZero() {
    assertZeroesSampleOne(badOnFive(Double.NaN));
  }

  @Test
  void infinityStops() {
    assertStopsAtSampleOne(badOnFive(Double.NEGATIVE_INFINITY), "returned -Infinity");
  }

  @Test
  void infinityUnderZero() {
    assertZeroesSampleOne(badOnFive(Double.POSITIVE_INFINITY));
  }

  @Test
  void wrongLengthStops() {
    assertStopsAtSampleOne(
        SHORT_ON_FIVE,
        "returned 0 scores for 1 sample when scored alone (on the whole batch it returned 3 scores"
            + " for 4 samples)");
  }

  @Test
  void wrongLengthUnderZero() {
    assertZeroesSampleOne(SHORT_ON_FIVE);
  }

  @Test
  void badPerTokenRewardsAreErrorsOfTheirSample() {
    RewardFunction tokens =
        input -> {
          double[][] t = new double[input.size()][];
          for (int i = 0; i < t.length; i++) {
            int n = input.responseIds()[i].length;
            t[i] = new double[input.responseTexts().get(i).equals("five") ? n - 1 : n];
          }
          return new RewardScores(new double[input.size()], t);
        };
    assertStopsAtSampleOne(tokens, "3 per-token rewards for a response of 4 tokens");
    RewardResult r = withBad(tokens, OnError.ZERO).score(INPUT);
    assertEquals(1, r.errors());
    assertEquals(4, r.tokenRewards()[1].length);
  }

  @Test
  void perTokenRewardsMustAddUpToTheScore() {
    RewardFunction tokens =
        input -> {
          double[][] t = new double[input.size()][];
          for (int i = 0; i < t.length; i++) {
            t[i] = new double[input.responseIds()[i].length];
          }
          double[] s = new double[input.size()];
          s[1] = 1.0;
          return new RewardScores(s, t);
        };
    assertStopsAtSampleOne(tokens, "summing to 0.0 for a score of 1.0");
  }

  /** Fails on any batch of more than one row but on no row alone: the batch is at fault. */
  private static final RewardFunction BATCH_ONLY =
      input -> RewardScores.of(new double[Math.min(1, input.size())]);

  @Test
  void wholeBatchFailureStopsNamingTheBatch() {
    RewardException e =
        assertThrows(RewardException.class, () -> withBad(BATCH_ONLY, OnError.STOP).score(INPUT));
    assertEquals(-1, e.sample());
    assertTrue(e.getMessage().contains("reward 'bad' failed on the batch"), e.getMessage());
    assertTrue(e.getMessage().contains("returned 1 scores for 4 samples"), e.getMessage());
  }

  @Test
  void wholeBatchFailureUnderZeroZeroesEverySample() {
    RewardResult r = withBad(BATCH_ONLY, OnError.ZERO).score(INPUT);
    assertArrayEquals(new double[4], r.components().get("bad"));
    assertEquals(4, r.errors());
    assertArrayEquals(r.components().get("exact_match"), r.total());
  }

  @Test
  void errorsAddUpOverComponents() {
    CompositeReward reward =
        new CompositeReward(
            List.of(
                new Component("nan", 1.0, badOnFive(Double.NaN)),
                new Component("throws", 1.0, THROWS_ON_FIVE)),
            OnError.ZERO);
    RewardResult r = reward.score(INPUT);
    assertEquals(2, r.errors());
    assertArrayEquals(new double[] {2, 0, 2, 2}, r.total());
  }

  @Test
  void longResponsesAreShortenedInMessages() {
    String longText = "five" + "x".repeat(200);
    RewardInput input = Batches.pairs(List.of("ok", longText), List.of("ok", "ok"));
    RewardException e =
        assertThrows(
            RewardException.class, () -> withBad(badOnFive(Double.NaN), OnError.STOP).score(input));
    String m = e.getMessage();
    assertTrue(m.contains("sample 1"), m);
    assertTrue(m.contains(longText.substring(0, 60) + "...\""), m);
    assertTrue(!m.contains(longText.substring(0, 61)), m);
  }

  @Test
  void stopMessageCountsTheOtherFailingSamples() {
    RewardInput input = Batches.pairs(List.of("five", "ok", "five"), List.of("a", "b", "c"));
    RewardException e =
        assertThrows(
            RewardException.class, () -> withBad(badOnFive(Double.NaN), OnError.STOP).score(input));
    assertEquals(0, e.sample());
    String m = e.getMessage();
    assertTrue(m.contains("sample 0 (response \"five\") and 1 more of 3 samples"), m);
  }
}
