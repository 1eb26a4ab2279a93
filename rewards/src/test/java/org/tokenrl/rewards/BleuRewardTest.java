package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code bleu} reward: per-sentence BLEU of each response, equal to the plain Java loop. */
class BleuRewardTest {

  private static int[] ids(String s) {
    return s.codePoints().toArray();
  }

  @Test
  void scoresEqualReferenceBleuOnCharacterIds() {
    List<String> responses = List.of("dcba", "dcab", "", "zzzz", "abcdefg");
    List<String> references = List.of("dcba", "dcba", "abc", "abcd", "gfedcba");
    RewardFunction reward =
        RewardRegistry.create(ConfigFactory.parseString("{name = bleu, smoothing = method1}"));
    double[] got = reward.score(Batches.pairs(responses, references)).scores();
    ReferenceBleu plain = new ReferenceBleu(BleuConfig.of(4, Smoothing.METHOD1));
    for (int i = 0; i < responses.size(); i++) {
      double expected =
          plain
              .sentenceBleu(
                  new int[][] {ids(responses.get(i))}, new int[][][] {{ids(references.get(i))}})[0];
      assertEquals(expected, got[i], 1e-12, "row " + i);
    }
    assertEquals(1.0, got[0], 1e-12);
    assertEquals(0.0, got[2], 0.0);
  }

  /**
   * With the run's tokenizer, BLEU compares the generated token ids (the stop token that ended a
   * row left out, a truncated row kept whole) against the tokenised reference: here a word-level
   * tokenizer, so the score is word-level BLEU, not character BLEU.
   */
  @Test
  void withATokenizerScoresGeneratedTokenIdsAgainstTheTokenisedReference() {
    java.util.Map<String, Integer> vocab = new java.util.HashMap<>();
    java.util.function.Function<String, int[]> words =
        text ->
            java.util.Arrays.stream(text.split(" "))
                .filter(w -> !w.isEmpty())
                .mapToInt(w -> vocab.computeIfAbsent(w, k -> 10 + vocab.size()))
                .toArray();
    int stop = 2;
    String[] responses = {"the cat sat on the mat", "the cat sat on mat"};
    String reference = "the cat sat on the mat";
    int[][] responseIds = new int[2][];
    responseIds[0] =
        java.util.stream.IntStream.concat(
                java.util.Arrays.stream(words.apply(responses[0])),
                java.util.stream.IntStream.of(stop))
            .toArray();
    responseIds[1] = words.apply(responses[1]); // truncated: no stop token to drop
    RewardInput input =
        new RewardInput(
            2,
            new int[][] {{1}, {1}},
            responseIds,
            List.of("p", "p"),
            List.of(responses),
            List.of(reference, reference),
            new boolean[] {false, true},
            null,
            words);
    RewardFunction reward =
        RewardRegistry.create(ConfigFactory.parseString("{name = bleu, smoothing = method1}"));
    double[] got = reward.score(input).scores();
    ReferenceBleu plain = new ReferenceBleu(BleuConfig.of(4, Smoothing.METHOD1));
    int[] ref = words.apply(reference);
    assertEquals(1.0, got[0], 1e-12);
    double wordLevel =
        plain.sentenceBleu(new int[][] {words.apply(responses[1])}, new int[][][] {{ref}})[0];
    double charLevel =
        plain.sentenceBleu(new int[][] {ids(responses[1])}, new int[][][] {{ids(reference)}})[0];
    assertEquals(wordLevel, got[1], 1e-12);
    org.junit.jupiter.api.Assertions.assertNotEquals(charLevel, got[1], 1e-3);
  }

  @Test
  void separatorGivesSeveralReferences() {
    RewardFunction reward =
        RewardRegistry.create(
            ConfigFactory.parseString("{name = bleu, smoothing = method1, separator = \"|\"}"));
    double[] got = reward.score(Batches.pairs(List.of("hello"), List.of("xyzzy|hello"))).scores();
    assertEquals(1.0, got[0], 1e-12);
  }

  @Test
  void badParametersAreNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardRegistry.create(ConfigFactory.parseString("{name = bleu, mode = x}")));
    assertEquals("bleu.mode must be nltk or tensorbleu, got 'x'", e.getMessage());
  }
}
