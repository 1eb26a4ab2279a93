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
          plain.sentenceBleu(
              new int[][] {ids(responses.get(i))}, new int[][][] {{ids(references.get(i))}})[0];
      assertEquals(expected, got[i], 1e-12, "row " + i);
    }
    assertEquals(1.0, got[0], 1e-12);
    assertEquals(0.0, got[2], 0.0);
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
