package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tokenrl.core.PrintedDecimal;

/**
 * The worked examples of docs/tensorbleu.md §6, in both modes and for all four smoothing methods.
 */
class TensorBleuTest {

  /** Expected values as printed in docs/tensorbleu.md §6, ordered method0..method3. */
  private record Example(String name, int[] cand, int[][] refs, String[] nltk, String[] compat) {}

  private static final Example[] EXAMPLES = {
    new Example(
        "B-1",
        new int[] {5, 6, 7, 8, 9, 10},
        new int[][] {{5, 6, 7, 8, 9, 11}},
        new String[] {"0.7598356857", "0.7598356857", "0.8034284189", "0.7598356857"},
        new String[] {"0.7598356857", "0.7598356857", "0.8091067116", "0.7598356857"}),
    new Example(
        "B-2",
        new int[] {3, 3, 3, 3},
        new int[][] {{3, 4, 5, 3, 6}, {7, 3, 8}},
        new String[] {"1.5319719891e-231", "0.0955442792", "0.3799178428", "0.1899589214"},
        new String[] {"6.5489e-10", "0.0744099595", "0.3096787332", "1.1014e-09"}),
    new Example(
        "B-3",
        new int[] {1, 2},
        new int[][] {{1, 2, 3}},
        new String[] {"9.0474e-155", "0.1918018355", "0.4288819425", "0.3606452880"},
        new String[] {"6.0653e-07", "0.1918018355", "0.6065306597", "8.5776e-07"}),
    new Example(
        "B-4",
        new int[] {9, 9},
        new int[][] {{1, 2}},
        new String[] {"0", "0", "0", "0"},
        new String[] {"1.0e-12", "0.0840896415", "0.6389431042", "2.0e-12"}),
    new Example(
        "B-5",
        new int[] {},
        new int[][] {{1, 2, 3}},
        new String[] {"0", "0", "0", "0"},
        new String[] {"0", "0", "0", "0"}),
    new Example(
        "B-6",
        new int[] {2, 3, 4, 5, 2, 3, 4, 6},
        new int[][] {{2, 3, 4, 5, 6}, {1, 2, 3, 4, 6, 2, 3, 4, 5}},
        new String[] {"0.6101950432", "0.6101950432", "0.6598203339", "0.6101950432"},
        new String[] {"0.6101950432", "0.6101950432", "0.6598203339", "0.6101950432"}),
  };

  private static final int[][] C1_CANDS = {{1, 2, 3, 4}, {5, 6}};
  private static final int[][][] C1_REFS = {{{1, 2, 3, 4}}, {{5, 6, 7}}};

  @Test
  void sentenceExamplesNltkExact() {
    for (Example ex : EXAMPLES) {
      for (Smoothing sm : Smoothing.values()) {
        double got = sentence(ex, BleuConfig.of(4, sm));
        assertPrinted(ex.nltk[sm.ordinal()], got, ex.name + " " + sm);
        double reference =
            new ReferenceBleu(BleuConfig.of(4, sm))
                .sentenceBleu(new int[][] {ex.cand}, new int[][][] {ex.refs})[0];
        assertEquals(reference, got, 0.0, ex.name + " " + sm + " ReferenceBleu");
      }
    }
  }

  @Test
  void sentenceExamplesTensorBleuCompat() {
    for (Example ex : EXAMPLES) {
      for (Smoothing sm : Smoothing.values()) {
        double got = sentence(ex, BleuConfig.of(4, sm).withMode(BleuMode.TENSORBLEU_COMPAT));
        assertPrinted(ex.compat[sm.ordinal()], got, ex.name + " compat " + sm);
      }
    }
  }

  @Test
  void corpusExampleC1() {
    String[] nltk = {"0.6431870218", "0.6431870218", null, "0.6431870218"};
    String[] compat = {"0", "0.2676810248", "0.8464817249", "0.5033210450"};
    for (Smoothing sm : Smoothing.values()) {
      BleuConfig cfg = BleuConfig.of(4, sm);
      if (nltk[sm.ordinal()] != null) { // docs/tensorbleu.md gives no method2 corpus value
        assertPrinted(
            nltk[sm.ordinal()], new TensorBleu(cfg).corpusBleu(C1_CANDS, C1_REFS), "C-1 " + sm);
      }
      double compatGot =
          new TensorBleu(cfg.withMode(BleuMode.TENSORBLEU_COMPAT)).corpusBleu(C1_CANDS, C1_REFS);
      assertPrinted(compat[sm.ordinal()], compatGot, "C-1 compat " + sm);
    }
  }

  @Test
  void corpusIsNotTheMeanOfSentences() {
    double[] s =
        new TensorBleu(BleuConfig.of(4, Smoothing.METHOD1)).sentenceBleu(C1_CANDS, C1_REFS);
    assertPrinted("0.5959009178", (s[0] + s[1]) / 2, "C-1 mean of sentence BLEU (method1)");
  }

  @Test
  void batchScoresEqualOneByOneScores() {
    // The whole-batch dictionary must not let n-grams of one sentence clip another's.
    TensorBleu bleu = new TensorBleu(BleuConfig.of(4, Smoothing.METHOD1));
    int[][] cands = new int[EXAMPLES.length][];
    int[][][] refs = new int[EXAMPLES.length][][];
    for (int i = 0; i < EXAMPLES.length; i++) {
      cands[i] = EXAMPLES[i].cand;
      refs[i] = EXAMPLES[i].refs;
    }
    double[] batch = bleu.sentenceBleu(cands, refs);
    for (int i = 0; i < EXAMPLES.length; i++) {
      assertEquals(sentence(EXAMPLES[i], bleu.config()), batch[i], 0.0, EXAMPLES[i].name);
    }
  }

  @Test
  void matchesReferenceBleuOnLongSentences() {
    // Long sentences with 1-3 references that copy the candidate in part: many entries per
    // sentence and matches at every order, unlike the short cases of the NLTK cross-check.
    java.util.Random rng = new java.util.Random(3);
    int size = 40;
    int[][] cands = new int[size][];
    int[][][] refs = new int[size][][];
    for (int b = 0; b < size; b++) {
      int vocab = 1 + rng.nextInt(b % 2 == 0 ? 20 : 5000);
      cands[b] = rng.ints(rng.nextInt(300), 0, vocab).toArray();
      refs[b] = new int[1 + rng.nextInt(3)][];
      for (int r = 0; r < refs[b].length; r++) {
        int[] ref = rng.ints(rng.nextInt(300), 0, vocab).toArray();
        for (int t = 0; t < Math.min(ref.length, cands[b].length); t++) {
          ref[t] = rng.nextInt(3) == 0 ? ref[t] : cands[b][t];
        }
        refs[b][r] = ref;
      }
    }
    for (Smoothing sm : Smoothing.values()) {
      BleuConfig cfg = BleuConfig.of(4, sm);
      assertArrayEquals(
          new ReferenceBleu(cfg).sentenceBleu(cands, refs),
          new TensorBleu(cfg).sentenceBleu(cands, refs),
          0.0,
          sm.toString());
      assertEquals(
          new ReferenceBleu(cfg).corpusBleu(cands, refs),
          new TensorBleu(cfg).corpusBleu(cands, refs),
          0.0,
          sm.toString());
    }
  }

  @Test
  void compatMasksPadIdZeroAndPadsMissingReferenceSlots() {
    BleuConfig compat = BleuConfig.of(4, Smoothing.METHOD1).withMode(BleuMode.TENSORBLEU_COMPAT);
    TensorBleu bleu = new TensorBleu(compat);
    // Trailing pads are invisible, as in TensorBLEU's padded tensors.
    assertEquals(
        bleu.sentenceBleu(new int[][] {{5, 6, 7, 8, 9, 10}}, new int[][][] {{{5, 6, 7, 8, 9, 11}}})[
            0],
        bleu.sentenceBleu(
                new int[][] {{5, 6, 7, 8, 9, 10, 0, 0}}, new int[][][] {{{5, 6, 7, 8, 9, 11, 0}}})[
            0],
        0.0);
    // A sentence with one reference next to one with two gets an empty second slot (length 0),
    // which wins the closest-length choice for a 1-token candidate: BP = 1 instead of exp(1-4).
    double[] s =
        bleu.sentenceBleu(
            new int[][] {{4}, {1, 2}}, new int[][][] {{{4, 5, 6, 7}}, {{1, 2}, {1, 2, 3}}});
    double alone = bleu.sentenceBleu(new int[][] {{4}}, new int[][][] {{{4, 5, 6, 7}}})[0];
    assertEquals(alone * Math.exp(-(1 - 4.0)), s[0], 1e-12 * s[0]);
  }

  @Test
  void rejectsBadInput() {
    TensorBleu bleu = new TensorBleu(BleuConfig.DEFAULT);
    assertThrows(
        IllegalArgumentException.class,
        () -> bleu.sentenceBleu(new int[][] {{1}}, new int[][][] {{}}));
    assertThrows(
        IllegalArgumentException.class,
        () -> bleu.sentenceBleu(new int[][] {{-1}}, new int[][][] {{{1}}}));
    assertThrows(
        IllegalArgumentException.class,
        () -> bleu.sentenceBleu(new int[][] {{1}, {2}}, new int[][][] {{{1}}}));
    assertThrows(
        IllegalArgumentException.class,
        () -> new BleuConfig(4, new double[] {0.5, 0.5}, Smoothing.METHOD0, BleuMode.NLTK_EXACT));
  }

  @Test
  void emptyBatch() {
    TensorBleu bleu = new TensorBleu(BleuConfig.DEFAULT);
    assertArrayEquals(new double[0], bleu.sentenceBleu(new int[0][], new int[0][][]));
    assertEquals(0.0, bleu.corpusBleu(new int[0][], new int[0][][]));
  }

  @Test
  void radixSortIsAStableSortOfTheRange() {
    java.util.Random rng = new java.util.Random(7);
    int m = 5000;
    long[] keys = new long[m];
    int[] pos = new int[m];
    for (int i = 0; i < m; i++) {
      keys[i] = (1L << 50) + rng.nextInt(300) * (1L << 40) + rng.nextInt(3);
      pos[i] = i;
    }
    long[] original = keys.clone();
    TensorBleu.radixSort(keys, pos, new long[m - 200], new int[m - 200], 100, m - 100);
    long[] expected = java.util.Arrays.copyOfRange(original, 100, m - 100);
    java.util.Arrays.sort(expected);
    assertArrayEquals(expected, java.util.Arrays.copyOfRange(keys, 100, m - 100));
    for (int i = 0; i < m; i++) {
      assertEquals(original[pos[i]], keys[i], "pos travels with its key");
      if (i < 100 || i >= m - 100) {
        assertEquals(i, pos[i], "outside the range nothing moves");
      } else if (i > 100 && keys[i] == keys[i - 1]) {
        assertTrue(pos[i] > pos[i - 1], "stable");
      }
    }
  }

  private static double sentence(Example ex, BleuConfig cfg) {
    return new TensorBleu(cfg).sentenceBleu(new int[][] {ex.cand}, new int[][][] {ex.refs})[0];
  }

  /**
   * Checks a value printed in docs/tensorbleu.md: within 1e-9 relative, or within half a unit of
   * the last printed digit when the page prints fewer digits than that.
   */
  static void assertPrinted(String printed, double actual, String what) {
    PrintedDecimal.assertMatches(printed, actual, what);
  }
}
