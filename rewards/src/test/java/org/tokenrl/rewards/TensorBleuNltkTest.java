package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Cross-checks {@link TensorBleu} and {@link ReferenceBleu} against the real NLTK 3.9.1 ({@code
 * nltk.translate.bleu_score}) on seeded random cases, all four smoothing methods, sentence and
 * corpus. Fails (does not skip) when python or nltk is missing.
 */
class TensorBleuNltkTest {
  private static final double REL_TOL = 1e-9;

  @Test
  void matchesNltkWithDefaultWeights() {
    crossCheck(new double[] {0.25, 0.25, 0.25, 0.25}, 1200, 11L);
  }

  @Test
  void matchesNltkWithCustomWeights() {
    crossCheck(new double[] {0.5, 0.3, 0.2}, 300, 12L);
  }

  private static void crossCheck(double[] weights, int cases, long seed) {
    Random rng = new Random(seed);
    int[][] cands = new int[cases][];
    int[][][] refs = new int[cases][][];
    for (int i = 0; i < cases; i++) {
      randomCase(rng, cands, refs, i);
    }
    List<int[]> corpora = new ArrayList<>();
    for (int start = 0; start < cases; ) {
      int size = Math.min(cases - start, 1 + rng.nextInt(20));
      int[] idx = new int[size];
      for (int k = 0; k < size; k++) {
        idx[k] = start + k;
      }
      corpora.add(idx);
      start += size;
    }
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("task", "score");
    request.put("weights", weights);
    request.put("candidates", cands);
    request.put("references", refs);
    request.put("corpora", corpora);
    JsonNode nltk = BleuNltk.run(request);

    int n = weights.length;
    for (Smoothing sm : Smoothing.values()) {
      BleuConfig cfg = new BleuConfig(n, weights, sm, BleuMode.NLTK_EXACT);
      TensorBleu tensor = new TensorBleu(cfg);
      ReferenceBleu reference = new ReferenceBleu(cfg);
      double[] expected = BleuNltk.doubles(nltk.get("sentence").get(sm.nltkName()));
      double[] got = tensor.sentenceBleu(cands, refs);
      assertArrayEquals(reference.sentenceBleu(cands, refs), got, 0.0, sm + " ReferenceBleu");
      for (int i = 0; i < cases; i++) {
        assertClose(expected[i], got[i], sm + " sentence case " + i + describe(cands[i], refs[i]));
      }
      double[] expectedCorpus = BleuNltk.doubles(nltk.get("corpus").get(sm.nltkName()));
      for (int k = 0; k < corpora.size(); k++) {
        int[] idx = corpora.get(k);
        int[][] cc = new int[idx.length][];
        int[][][] rr = new int[idx.length][][];
        for (int j = 0; j < idx.length; j++) {
          cc[j] = cands[idx[j]];
          rr[j] = refs[idx[j]];
        }
        double gotCorpus = tensor.corpusBleu(cc, rr);
        assertEquals(reference.corpusBleu(cc, rr), gotCorpus, 0.0, sm + " corpus ReferenceBleu");
        assertClose(expectedCorpus[k], gotCorpus, sm + " corpus " + k);
      }
    }
  }

  /**
   * One case: small vocabularies (many matches, repeated tokens), empty and short candidates, 1-4
   * references that are often edits of the candidate, and reference lengths tied around the
   * candidate length.
   */
  private static void randomCase(Random rng, int[][] cands, int[][][] refs, int i) {
    int vocab = rng.nextInt(4) == 0 ? 50 : 2 + rng.nextInt(6);
    int len = rng.nextInt(10) == 0 ? 0 : rng.nextInt(4) == 0 ? 1 + rng.nextInt(3) : rng.nextInt(25);
    int[] cand = randomIds(rng, len, vocab);
    int nRefs = 1 + rng.nextInt(4);
    int[][] rs = new int[nRefs][];
    boolean tie = rng.nextInt(4) == 0 && len > 0;
    for (int r = 0; r < nRefs; r++) {
      int rlen = tie ? len + (r % 2 == 0 ? -1 : 1) : rng.nextInt(25);
      rlen = Math.max(0, rlen);
      rs[r] = rng.nextBoolean() ? edit(rng, cand, rlen, vocab) : randomIds(rng, rlen, vocab);
    }
    cands[i] = cand;
    refs[i] = rs;
  }

  private static int[] randomIds(Random rng, int len, int vocab) {
    int[] ids = new int[len];
    for (int t = 0; t < len; t++) {
      ids[t] = rng.nextInt(vocab);
    }
    return ids;
  }

  /** A copy of {@code src} resized to {@code len}, with about one token in five replaced. */
  private static int[] edit(Random rng, int[] src, int len, int vocab) {
    int[] ids = new int[len];
    for (int t = 0; t < len; t++) {
      boolean copy = t < src.length && rng.nextInt(5) != 0;
      ids[t] = copy ? src[t] : rng.nextInt(vocab);
    }
    return ids;
  }

  private static void assertClose(double expected, double actual, String what) {
    double tol = REL_TOL * Math.max(Math.abs(expected), Math.abs(actual));
    assertTrue(
        Math.abs(expected - actual) <= tol, what + ": NLTK " + expected + " vs tokenrl " + actual);
  }

  private static String describe(int[] cand, int[][] refs) {
    return " cand="
        + java.util.Arrays.toString(cand)
        + " refs="
        + java.util.Arrays.deepToString(refs);
  }
}
