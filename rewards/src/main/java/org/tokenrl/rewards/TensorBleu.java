package org.tokenrl.rewards;

import java.util.Arrays;

/**
 * Per-sentence and corpus BLEU on token ids, computed for the whole batch at once (TensorBLEU,
 * Filipek 2025, spec §4.2) and equal to NLTK in {@link BleuMode#NLTK_EXACT} (spec §4.3).
 *
 * <p>Algorithm, per order n, over all candidate and reference n-grams of the batch together:
 *
 * <ol>
 *   <li>Every n-gram window becomes one int64 key {@code id(n-1)[t] · (maxTok + 1) + tok[t+n-1]},
 *       where {@code id(n-1)[t]} is the compact dictionary id of the window's (n-1)-gram prefix and
 *       {@code id(0)[t]} is the sentence index b. This packing always fits in 63 bits (both factors
 *       are below 2^31), so no sorted-row fallback is needed, and because b is the most
 *       significant part of every key the dictionary is keyed by (sentence, n-gram): it is
 *       TensorBLEU's offset index {@code b·U + u} with the empty cells of the dense B×U table
 *       dropped (that table would need 2·10^9 cells at B = 1024, L = 1024).
 *   <li>Unique-with-inverse: a stable LSD radix sort of the keys. Each run of equal keys is one
 *       dictionary entry; its rank is the compact id used to build the next order's keys.
 *   <li>Counting (the offset bincount): within a run the elements come in flat-position order,
 *       candidate first, then reference 0, 1, ..., so the candidate count and each reference's
 *       count are the lengths of consecutive groups. The clip {@code min(cand, max over refs)} is
 *       added to {@code num[b][n]}.
 *   <li>Pruning: an n-gram that is absent from the candidate or from all of its references cannot
 *       be a prefix of a matching (n+1)-gram, so only runs with both counts positive get an id;
 *       the other windows leave the next order's dictionary. Real batches then shrink quickly.
 * </ol>
 *
 * The precisions, smoothing, brevity penalty and geometric mean are computed in double as NLTK
 * does ({@link BleuMath}).
 *
 * <p>Why plain Java arrays and not ND4J ops: on this 2-core CPU (OMP_NUM_THREADS=1) ND4J's
 * {@code unique} took over 100 s on 524,288 int64 keys (it is quadratic) and {@code bincount} 150
 * ms, against about 10 ms for the radix sort of the same keys; ND4J ops also cost 5-50 µs each in
 * overhead. {@link BleuBenchmark} {@code --nd4j} repeats that comparison.
 *
 * <p>Thread-safe: instances hold only the configuration.
 */
public final class TensorBleu {
  private static final int RADIX_BITS = 11;

  private final BleuConfig cfg;

  public TensorBleu(BleuConfig cfg) {
    if (cfg == null) {
      throw new IllegalArgumentException("cfg must not be null; use BleuConfig.DEFAULT");
    }
    this.cfg = cfg;
  }

  public BleuConfig config() {
    return cfg;
  }

  /**
   * BLEU of each candidate against its references.
   *
   * @param candidates candidate token ids per sentence (ids >= 0, any lengths, may be empty)
   * @param references {@code references[b]} holds one or more reference id arrays for candidate b
   * @return one score per candidate
   */
  public double[] sentenceBleu(int[][] candidates, int[][][] references) {
    Batch batch = Batch.of(candidates, references, cfg.mode());
    int[] num = clippedMatches(batch, null);
    int maxN = cfg.maxN();
    double[] scores = new double[batch.size];
    long[] nu = new long[maxN];
    long[] de = new long[maxN];
    for (int b = 0; b < batch.size; b++) {
      int c = batch.candLength[b];
      for (int n = 1; n <= maxN; n++) {
        nu[n - 1] = num[b * maxN + n - 1];
        de[n - 1] = candidateNgrams(batch, b, n);
      }
      if (cfg.mode() == BleuMode.NLTK_EXACT) {
        int r = BleuMath.closestRefLengthNltk(c, batch.refLengths[b]);
        scores[b] = BleuMath.nltk(nu, de, c, r, cfg);
      } else {
        int r = BleuMath.closestRefLengthFirst(c, batch.refLengths[b]);
        scores[b] = BleuMath.tensorBleuSentence(nu, de, c, r, cfg);
      }
    }
    return scores;
  }

  /**
   * Corpus BLEU: matches, candidate n-grams and lengths summed over sentences before the
   * precisions are taken (NLTK {@code corpus_bleu}; not the mean of sentence scores).
   */
  public double corpusBleu(int[][] candidates, int[][][] references) {
    Batch batch = Batch.of(candidates, references, cfg.mode());
    int maxN = cfg.maxN();
    boolean compat = cfg.mode() == BleuMode.TENSORBLEU_COMPAT;
    int[] num = clippedMatches(batch, compat ? droppedSlots(batch) : null);
    long[] nu = new long[maxN];
    long[] de = new long[maxN];
    long c = 0;
    long r = 0;
    for (int b = 0; b < batch.size; b++) {
      int cb = batch.candLength[b];
      c += cb;
      r += compat
          ? BleuMath.closestRefLengthFirst(cb, batch.refLengths[b])
          : BleuMath.closestRefLengthNltk(cb, batch.refLengths[b]);
      for (int n = 1; n <= maxN; n++) {
        nu[n - 1] += num[b * maxN + n - 1];
        de[n - 1] += candidateNgrams(batch, b, n);
      }
    }
    if (!compat) {
      return BleuMath.nltk(nu, de, c, r, cfg);
    }
    for (int n = 1; n <= maxN; n++) {
      if (batch.minCandLength() < n) { // the code skips an order if any candidate is too short
        nu[n - 1] = 0;
        de[n - 1] = 0;
      }
    }
    return BleuMath.tensorBleuCorpus(nu, de, c, r, cfg);
  }

  /**
   * Candidate n-gram count used as the precision denominator: NLTK's max(1, c - n + 1), or in
   * compat mode the number of length-n windows free of padding (0 when there are none).
   */
  private long candidateNgrams(Batch batch, int b, int n) {
    if (cfg.mode() == BleuMode.NLTK_EXACT) {
      return Math.max(1, batch.candLength[b] - n + 1);
    }
    long windows = 0;
    int run = 0; // current stretch of non-pad tokens
    for (int t = batch.segStart[batch.candSegment[b]], end = t + batch.segLength[batch.candSegment[b]];
        t <= end; t++) {
      if (t < end && batch.tokenValid(t)) {
        run++;
      } else {
        windows += Math.max(0, run - n + 1);
        run = 0;
      }
    }
    return windows;
  }

  /**
   * TensorBLEU corpus mode drops reference slot i at order n for every sentence when any
   * sentence's slot i has fewer than n non-pad tokens (spec §4.5 item 7).
   */
  private boolean[][] droppedSlots(Batch batch) {
    boolean[][] dropped = new boolean[cfg.maxN() + 1][batch.maxRefs + 1];
    for (int b = 0; b < batch.size; b++) {
      int[] lens = batch.refLengths[b];
      for (int i = 0; i < lens.length; i++) {
        for (int n = lens[i] + 1; n <= cfg.maxN(); n++) {
          dropped[n][i + 1] = true;
        }
      }
    }
    return dropped;
  }

  /**
   * Clipped n-gram matches {@code num[b * maxN + n - 1]} for the whole batch (class comment, steps
   * 1-4).
   *
   * @param dropped {@code dropped[n][slot]} excludes a reference slot (1-based) at order n; null
   *     for none
   */
  private int[] clippedMatches(Batch batch, boolean[][] dropped) {
    int maxN = cfg.maxN();
    int[] num = new int[batch.size * maxN];
    int total = batch.tokens.length;
    long radix = (long) batch.maxToken + 1;
    int[] prevId = new int[total]; // compact id of the (n-1)-gram starting at each position
    int[] nextId = new int[total];
    long[] keys = new long[total];
    int[] pos = new int[total];
    long[] tmpKeys = new long[total];
    int[] tmpPos = new int[total];
    for (int n = 1; n <= maxN; n++) {
      // Step 1: keys of all live windows of order n, in flat-position order.
      int m = 0;
      long maxKey = 0;
      for (int s = 0; s < batch.segStart.length; s++) {
        int slot = batch.segSlot[s];
        if (dropped != null && slot > 0 && dropped[n][slot]) {
          continue;
        }
        int start = batch.segStart[s];
        int lastStart = start + batch.segLength[s] - n;
        for (int t = start; t <= lastStart; t++) {
          int prefix = n == 1 ? batch.segOwner[s] : prevId[t];
          if (prefix < 0 || !batch.tokenValid(t + n - 1)) {
            continue;
          }
          long key = prefix * radix + batch.tokens[t + n - 1];
          keys[m] = key;
          pos[m] = t;
          maxKey = Math.max(maxKey, key);
          m++;
        }
      }
      if (m == 0) {
        break; // nothing left to match at this or any higher order
      }
      // Step 2: unique with inverse, by a stable sort.
      if (radixSort(keys, pos, tmpKeys, tmpPos, m, maxKey)) {
        long[] k = keys;
        keys = tmpKeys;
        tmpKeys = k;
        int[] p = pos;
        pos = tmpPos;
        tmpPos = p;
      }
      // Steps 3-4: counts per dictionary entry, clip, sum per sentence, ids for the next order.
      Arrays.fill(nextId, -1);
      int id = 0;
      for (int i = 0; i < m; ) {
        int runEnd = i + 1;
        while (runEnd < m && keys[runEnd] == keys[i]) {
          runEnd++;
        }
        int cand = 0;
        int refMax = 0;
        int slot = 0;
        int slotCount = 0;
        for (int j = i; j < runEnd; j++) {
          int jslot = batch.slotOf(pos[j]);
          if (jslot == 0) {
            cand++;
          } else if (jslot == slot) {
            slotCount++;
          } else {
            refMax = Math.max(refMax, slotCount);
            slot = jslot;
            slotCount = 1;
          }
        }
        refMax = Math.max(refMax, slotCount);
        if (cand > 0 && refMax > 0) {
          num[batch.ownerOf(pos[i]) * maxN + n - 1] += Math.min(cand, refMax);
          for (int j = i; j < runEnd; j++) {
            nextId[pos[j]] = id;
          }
          id++;
        }
        i = runEnd;
      }
      int[] t = prevId;
      prevId = nextId;
      nextId = t;
    }
    return num;
  }

  /**
   * Stable LSD radix sort of {@code keys[0..m)} (all in [0, maxKey]) carrying {@code pos} along,
   * with digits of at most {@value #RADIX_BITS} bits so the histogram stays in L1 cache. Passes
   * whose digit is the same for every key are skipped.
   *
   * @return true if the sorted data ended up in the tmp arrays
   */
  static boolean radixSort(long[] keys, int[] pos, long[] tmpKeys, int[] tmpPos, int m, long maxKey) {
    int bits = 64 - Long.numberOfLeadingZeros(maxKey);
    if (bits == 0) {
      return false;
    }
    int passes = (bits + RADIX_BITS - 1) / RADIX_BITS;
    int digitBits = (bits + passes - 1) / passes;
    int buckets = 1 << digitBits;
    long mask = buckets - 1;
    int[] count = new int[buckets];
    long[] srcK = keys;
    int[] srcP = pos;
    long[] dstK = tmpKeys;
    int[] dstP = tmpPos;
    boolean inTmp = false;
    for (int shift = 0; shift < bits; shift += digitBits) {
      Arrays.fill(count, 0);
      for (int i = 0; i < m; i++) {
        count[(int) ((srcK[i] >>> shift) & mask)]++;
      }
      if (count[(int) ((srcK[0] >>> shift) & mask)] == m) {
        continue; // every key has this digit: the pass would be the identity
      }
      int sum = 0;
      for (int d = 0; d < buckets; d++) {
        int c = count[d];
        count[d] = sum;
        sum += c;
      }
      for (int i = 0; i < m; i++) {
        long k = srcK[i];
        int at = count[(int) ((k >>> shift) & mask)]++;
        dstK[at] = k;
        dstP[at] = srcP[i];
      }
      long[] k = srcK;
      srcK = dstK;
      dstK = k;
      int[] p = srcP;
      srcP = dstP;
      dstP = p;
      inTmp = !inTmp;
    }
    return inTmp;
  }

  /**
   * The batch flattened into one token array of segments: for each sentence b its candidate (slot
   * 0), then its references (slots 1..R_b). Compat mode pads every sentence to the batch's maximum
   * reference count with empty slots, as TensorBLEU's padded tensor would.
   */
  private static final class Batch {
    final int size;
    final boolean maskPad;
    final int[] tokens;
    final int[] segStart;
    final int[] segLength;
    final int[] segOwner;
    final int[] segSlot;
    final int[] candSegment;
    final int[] segOfPos;
    final int[] candLength; // NLTK: all tokens; compat: non-pad tokens
    final int[][] refLengths;
    final int maxRefs;
    final int maxToken;

    private Batch(int[][] cands, int[][][] refs, BleuMode mode) {
      size = cands.length;
      maskPad = mode == BleuMode.TENSORBLEU_COMPAT;
      int maxR = 0;
      int segments = 0;
      long total = 0;
      int maxTok = 0;
      for (int b = 0; b < size; b++) {
        maxTok = Math.max(maxTok, checkedMax(cands[b], "candidates[" + b + "]"));
        total += cands[b].length;
        int[][] rb = refs[b];
        if (rb == null || rb.length == 0) {
          throw new IllegalArgumentException(
              "references[" + b + "] is empty: every candidate needs at least one reference");
        }
        maxR = Math.max(maxR, rb.length);
        segments += 1 + rb.length;
        for (int i = 0; i < rb.length; i++) {
          maxTok = Math.max(maxTok, checkedMax(rb[i], "references[" + b + "][" + i + "]"));
          total += rb[i].length;
        }
      }
      if (total > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("batch too large: " + total + " tokens; split it");
      }
      maxRefs = maxR;
      maxToken = maxTok;
      tokens = new int[(int) total];
      segOfPos = new int[(int) total];
      segStart = new int[segments];
      segLength = new int[segments];
      segOwner = new int[segments];
      segSlot = new int[segments];
      candSegment = new int[size];
      candLength = new int[size];
      refLengths = new int[size][];
      int s = 0;
      int at = 0;
      for (int b = 0; b < size; b++) {
        candSegment[b] = s;
        at = addSegment(s++, at, b, 0, cands[b]);
        candLength[b] = length(cands[b]);
        int[][] rb = refs[b];
        refLengths[b] = new int[maskPad ? maxR : rb.length]; // padded slots stay length 0
        for (int i = 0; i < rb.length; i++) {
          at = addSegment(s++, at, b, i + 1, rb[i]);
          refLengths[b][i] = length(rb[i]);
        }
      }
    }

    static Batch of(int[][] cands, int[][][] refs, BleuMode mode) {
      if (cands == null || refs == null) {
        throw new IllegalArgumentException("candidates and references must not be null");
      }
      if (cands.length != refs.length) {
        throw new IllegalArgumentException(
            cands.length + " candidates but " + refs.length + " reference lists: give one list per"
                + " candidate");
      }
      return new Batch(cands, refs, mode);
    }

    private int addSegment(int s, int at, int owner, int slot, int[] ids) {
      segStart[s] = at;
      segLength[s] = ids.length;
      segOwner[s] = owner;
      segSlot[s] = slot;
      System.arraycopy(ids, 0, tokens, at, ids.length);
      Arrays.fill(segOfPos, at, at + ids.length, s);
      return at + ids.length;
    }

    private int length(int[] ids) {
      if (!maskPad) {
        return ids.length;
      }
      int len = 0;
      for (int id : ids) {
        if (id != 0) {
          len++;
        }
      }
      return len;
    }

    private static int checkedMax(int[] ids, String what) {
      if (ids == null) {
        throw new IllegalArgumentException(what + " is null");
      }
      int max = 0;
      for (int id : ids) {
        if (id < 0) {
          throw new IllegalArgumentException(what + " holds a negative token id " + id);
        }
        max = Math.max(max, id);
      }
      return max;
    }

    /** TensorBLEU masks every occurrence of its pad id 0; NLTK has no padding. */
    boolean tokenValid(int t) {
      return !maskPad || tokens[t] != 0;
    }

    int slotOf(int t) {
      return segSlot[segOfPos[t]];
    }

    int ownerOf(int t) {
      return segOwner[segOfPos[t]];
    }

    int minCandLength() {
      int min = Integer.MAX_VALUE;
      for (int c : candLength) {
        min = Math.min(min, c);
      }
      return min;
    }
  }
}
