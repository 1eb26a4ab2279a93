package org.tokenrl.rewards;

/**
 * The scalar part of BLEU: precisions from clipped counts, smoothing, brevity penalty and the
 * weighted geometric mean, for one sentence or one corpus. Shared by {@link TensorBleu} and {@link
 * ReferenceBleu}, which differ only in how they count n-grams.
 */
final class BleuMath {
  /** TensorBLEU's additive guard inside log and its stand-in for a zero precision. */
  static final double TENSORBLEU_TINY = 1e-12;

  private BleuMath() {}

  /**
   * NLTK {@code corpus_bleu} (and {@code sentence_bleu}, a corpus of one), docs/tensorbleu.md §2,
   * §4.
   *
   * @param num clipped matches per order (summed over sentences for a corpus)
   * @param den candidate n-grams per order, each sentence's count already floored at 1
   * @param c candidate length (sum for a corpus)
   * @param r closest reference length (sum for a corpus)
   */
  static double nltk(long[] num, long[] den, long c, long r, BleuConfig cfg) {
    int maxN = cfg.maxN();
    if (num[0] == 0) {
      return 0.0; // NLTK returns 0 on no unigram match, whatever the smoothing
    }
    double sum = 0.0;
    int zeroOrders = 0; // method3's k
    for (int n = 1; n <= maxN; n++) {
      long nu = num[n - 1];
      long d = den[n - 1];
      double p;
      switch (cfg.smoothing()) {
        case METHOD0 -> p = nu != 0 ? (double) nu / d : Double.MIN_NORMAL;
        case METHOD1 -> p = nu != 0 ? (double) nu / d : (0 + Smoothing.EPSILON) / d;
        case METHOD2 -> p = n == 1 ? (double) nu / d : (double) (nu + 1) / (d + 1);
        case METHOD3 -> p = nu != 0 ? (double) nu / d : 1.0 / (Math.scalb(1.0, ++zeroOrders) * d);
        default -> throw new AssertionError(cfg.smoothing());
      }
      if (p > 0) { // NLTK skips non-positive precisions in the geometric mean
        sum += cfg.weight(n) * Math.log(p);
      }
    }
    return brevityPenalty(c, r) * Math.exp(sum);
  }

  /** NLTK's brevity penalty: 1 if c > r, 0 if c = 0, else exp(1 - r/c). */
  static double brevityPenalty(long c, long r) {
    if (c > r) {
      return 1.0;
    }
    return c == 0 ? 0.0 : Math.exp(1.0 - (double) r / c);
  }

  /**
   * TensorBLEU {@code tensor_sentence_bleu} (docs/tensorbleu.md §5): raw denominators (0 for orders
   * longer than the candidate), no early exit, code-specific smoothing, log(p + 1e-12).
   *
   * @param den valid candidate windows per order (0 when the candidate is shorter than n)
   */
  static double tensorBleuSentence(long[] num, long[] den, long c, long r, BleuConfig cfg) {
    double sum = 0.0;
    for (int n = 1; n <= cfg.maxN(); n++) {
      double nu = num[n - 1];
      double d = den[n - 1];
      double p =
          switch (cfg.smoothing()) {
            case METHOD1 -> (nu == 0 ? Smoothing.EPSILON : nu) / (d == 0 ? 1.0 : d);
            case METHOD2 -> (nu + 1) / (d + 1);
            case METHOD0, METHOD3 -> {
              double q = d > 0 ? nu / d : 0.0;
              yield cfg.smoothing() == Smoothing.METHOD3 && q == 0 ? TENSORBLEU_TINY : q;
            }
          };
      sum += cfg.weight(n) * Math.log(p + TENSORBLEU_TINY);
    }
    double bp = 1.0;
    if (c < r) {
      bp = Math.exp(1.0 - (double) r / c);
    }
    if (c == 0) {
      bp = 0.0;
    }
    return bp * Math.exp(sum);
  }

  /**
   * TensorBLEU {@code tensor_corpus_bleu} (docs/tensorbleu.md §5). The caller has already zeroed
   * num and den of orders the code skips (some candidate shorter than n).
   */
  static double tensorBleuCorpus(long[] num, long[] den, long c, long r, BleuConfig cfg) {
    int maxN = cfg.maxN();
    double[] p = new double[maxN];
    for (int i = 0; i < maxN; i++) {
      double nu = num[i];
      double d = den[i];
      switch (cfg.smoothing()) {
        case METHOD1 -> p[i] = (nu == 0 ? Smoothing.EPSILON : nu) / (d == 0 ? 1.0 : d);
        case METHOD2 -> p[i] = (nu + 1) / (d + 1);
        case METHOD3 -> p[i] = d > 0 ? nu / d : 0.0;
        case METHOD0 -> {
          if (d == 0) {
            return 0.0;
          }
          p[i] = nu / d;
        }
        default -> throw new AssertionError(cfg.smoothing());
      }
    }
    if (cfg.smoothing() == Smoothing.METHOD3) {
      for (int i = 0; i < maxN; i++) {
        if (p[i] == 0) {
          p[i] = i == 0 ? TENSORBLEU_TINY : p[i - 1] / 2.0;
        }
      }
    }
    if (c == 0) {
      return 0.0;
    }
    double bp = c < r ? Math.exp(1.0 - (double) r / c) : 1.0;
    double guard = cfg.smoothing() == Smoothing.METHOD0 ? TENSORBLEU_TINY : 0.0;
    double sum = 0.0;
    for (int i = 0; i < maxN; i++) {
      sum += cfg.weight(i + 1) * Math.log(p[i] + guard);
    }
    return bp * Math.exp(sum);
  }

  /** NLTK's closest reference length: minimum by (|len - c|, len), so ties go to the shorter. */
  static int closestRefLengthNltk(int c, int[] refLens) {
    int best = refLens[0];
    for (int len : refLens) {
      int dl = Math.abs(len - c);
      int db = Math.abs(best - c);
      if (dl < db || (dl == db && len < best)) {
        best = len;
      }
    }
    return best;
  }

  /** TensorBLEU's closest reference length: argmin |len - c|, first reference on ties. */
  static int closestRefLengthFirst(int c, int[] refLens) {
    int best = refLens[0];
    for (int len : refLens) {
      if (Math.abs(len - c) < Math.abs(best - c)) {
        best = len;
      }
    }
    return best;
  }
}
