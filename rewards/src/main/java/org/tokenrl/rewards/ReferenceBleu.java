package org.tokenrl.rewards;

import java.util.HashMap;
import java.util.Map;

/**
 * NLTK-exact BLEU as a plain loop over sentences with one {@code HashMap} of n-gram counts per
 * sentence and reference, a line-by-line port of NLTK's {@code modified_precision}
 * (docs/tensorbleu.md §1). It is the baseline {@link TensorBleu} is benchmarked against and an
 * independent check of its batch counting; the final formula is shared ({@link BleuMath}).
 */
public final class ReferenceBleu {
  private final BleuConfig cfg;

  /** Only {@link BleuMode#NLTK_EXACT} is supported. */
  public ReferenceBleu(BleuConfig cfg) {
    if (cfg == null || cfg.mode() != BleuMode.NLTK_EXACT) {
      throw new IllegalArgumentException("ReferenceBleu implements NLTK_EXACT only, got " + cfg);
    }
    this.cfg = cfg;
  }

  /** One NLTK {@code sentence_bleu} per candidate. */
  public double[] sentenceBleu(int[][] candidates, int[][][] references) {
    checkSizes(candidates, references);
    double[] scores = new double[candidates.length];
    int maxN = cfg.maxN();
    for (int b = 0; b < candidates.length; b++) {
      long[] num = new long[maxN];
      long[] den = new long[maxN];
      addCounts(candidates[b], references[b], num, den);
      int c = candidates[b].length;
      scores[b] = BleuMath.nltk(num, den, c, closestRefLength(c, references[b]), cfg);
    }
    return scores;
  }

  /** NLTK {@code corpus_bleu}. */
  public double corpusBleu(int[][] candidates, int[][][] references) {
    checkSizes(candidates, references);
    int maxN = cfg.maxN();
    long[] num = new long[maxN];
    long[] den = new long[maxN];
    long c = 0;
    long r = 0;
    for (int b = 0; b < candidates.length; b++) {
      addCounts(candidates[b], references[b], num, den);
      c += candidates[b].length;
      r += closestRefLength(candidates[b].length, references[b]);
    }
    return BleuMath.nltk(num, den, c, r, cfg);
  }

  private void addCounts(int[] cand, int[][] refs, long[] num, long[] den) {
    for (int n = 1; n <= cfg.maxN(); n++) {
      Map<Ngram, Integer> counts = count(cand, n);
      Map<Ngram, Integer> maxRef = new HashMap<>();
      for (int[] ref : refs) {
        Map<Ngram, Integer> refCounts = count(ref, n);
        for (Ngram g : counts.keySet()) {
          maxRef.merge(g, refCounts.getOrDefault(g, 0), Math::max);
        }
      }
      long clipped = 0;
      for (Map.Entry<Ngram, Integer> e : counts.entrySet()) {
        clipped += Math.min(e.getValue(), maxRef.get(e.getKey()));
      }
      num[n - 1] += clipped;
      den[n - 1] += Math.max(1, cand.length - n + 1);
    }
  }

  private static Map<Ngram, Integer> count(int[] ids, int n) {
    Map<Ngram, Integer> counts = new HashMap<>();
    for (int t = 0; t + n <= ids.length; t++) {
      counts.merge(new Ngram(ids, t, n), 1, Integer::sum);
    }
    return counts;
  }

  private static int closestRefLength(int c, int[][] refs) {
    int[] lens = new int[refs.length];
    for (int i = 0; i < refs.length; i++) {
      lens[i] = refs[i].length;
    }
    return BleuMath.closestRefLengthNltk(c, lens);
  }

  private static void checkSizes(int[][] candidates, int[][][] references) {
    if (candidates.length != references.length) {
      throw new IllegalArgumentException(
          candidates.length + " candidates but " + references.length + " reference lists");
    }
    for (int b = 0; b < references.length; b++) {
      if (references[b].length == 0) {
        throw new IllegalArgumentException("references[" + b + "] is empty");
      }
    }
  }

  /** A window of {@code n} ids starting at {@code from}, compared by content. */
  private record Ngram(int[] ids, int from, int n) {
    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Ngram g) || g.n != n) {
        return false;
      }
      for (int i = 0; i < n; i++) {
        if (ids[from + i] != g.ids[g.from + i]) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      int h = 1;
      for (int i = 0; i < n; i++) {
        h = 31 * h + ids[from + i];
      }
      return h;
    }
  }
}
