package org.tokenrl.rewards;

import java.util.Arrays;

/**
 * Per-sentence and corpus BLEU on token ids, computed for the whole batch at once (TensorBLEU,
 * Filipek 2025, docs/tensorbleu.md §1) and equal to NLTK in {@link BleuMode#NLTK_EXACT}
 * (docs/tensorbleu.md §2).
 *
 * <p>Algorithm, per order n, over all candidate and reference n-grams of the batch together:
 *
 * <ol>
 *   <li>Keys: the batch is one flat token array; every window of order n becomes one int64 key. For
 *       n = 1 the key is the token; for n ≥ 2 it packs the dictionary ids of the window's
 *       (n-1)-gram prefix and of its last token, taken relative to the sentence's id range, so it
 *       always fits in 62 bits whatever the vocabulary (no sorted-row fallback is needed).
 *   <li>Compact dictionary, i.e. unique with inverse: a stable LSD radix sort; each run of equal
 *       keys is one entry. Entries are (sentence, n-gram) pairs with ids numbered across the whole
 *       batch, sentence by sentence: entry u of sentence b has id {@code lo[b] + u}. That is
 *       TensorBLEU's offset index {@code b·U + u} with each sentence's offset the prefix sum of the
 *       dictionary sizes instead of b·U, dropping the empty cells of the dense B×U table (which
 *       would need 2·10^9 cells at B = 1024, L = 1024). Since keys of different sentences are never
 *       equal, the sort runs per sentence group, which keeps it in L1/L2 cache (25-30% faster than
 *       one sort over the batch at B = 256, L = 1024).
 *   <li>Counting (the offset bincount): inside a run the windows stay in flat-position order,
 *       candidate first, then reference 1, 2, ..., so the candidate count and each reference's
 *       count are lengths of consecutive groups; {@code min(cand, max over refs)} is added to
 *       {@code num[b][n]}.
 *   <li>Pruning: an n-gram missing from the candidate or from all of its references cannot be part
 *       of a matching longer n-gram, so only entries with both counts positive get an id, and a
 *       window whose prefix or last token has no id leaves the next order's dictionary.
 * </ol>
 *
 * The precisions, smoothing, brevity penalty and geometric mean are computed in double as NLTK does
 * ({@link BleuMath}).
 *
 * <p>Why plain Java arrays and not ND4J ops: on this 2-core CPU (OMP_NUM_THREADS=1) ND4J's {@code
 * unique} is quadratic: 22 ms on 8k int64 keys, 300 ms on 33k and over 100 s on 524k, against 0.4
 * ms, 0.7 ms and about 10 ms for the Java radix sort plus run scan; ND4J's {@code bincount} alone
 * (2-8 ms on 8k-33k ids) costs more than the whole Java dictionary step, and every ND4J op adds
 * 5-50 µs of overhead. {@code BleuBenchmark --nd4j} repeats that comparison.
 *
 * <p>Thread-safe: instances hold only the configuration.
 *
 * <p>Length: the four steps above share the batch's flat arrays and offsets; kept in one file so
 * the algorithm reads in order.
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
   * Corpus BLEU: matches, candidate n-grams and lengths summed over sentences before the precisions
   * are taken (NLTK {@code corpus_bleu}; not the mean of sentence scores).
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
      r +=
          compat
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
    for (int t = batch.segStart[batch.candSegment[b]],
            end = t + batch.segLength[batch.candSegment[b]];
        t <= end;
        t++) {
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
   * TensorBLEU corpus mode drops reference slot i at order n for every sentence when any sentence's
   * slot i has fewer than n non-pad tokens (docs/tensorbleu.md §5 item 7).
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
    int size = batch.size;
    int total = batch.tokens.length;
    int[] num = new int[size * maxN];
    long[] keys = new long[total];
    int[] pos = new int[total]; // flat position of each key's window
    long[] tmpKeys = new long[batch.maxSentenceTokens]; // sort scratch, one sentence at a time
    int[] tmpPos = new int[batch.maxSentenceTokens];
    int[] groupStart = new int[size + 1]; // sentence b's keys are [groupStart[b], groupStart[b+1])
    int[] unigramId = null; // dictionary id of the token at each position, -1 if pruned
    int[] uniLo = null; // sentence b's unigram ids are [uniLo[b], uniLo[b] + uniCount[b])
    int[] uniCount = null;
    int[] prevId = null; // dictionary id of the (n-1)-gram starting at each position
    int[] prevLo = null;
    for (int n = 1; n <= maxN; n++) {
      // Step 1: keys of all live windows of order n, in flat-position order.
      int m = 0;
      for (int s = 0; s < batch.segStart.length; s++) {
        int b = batch.segOwner[s];
        int slot = batch.segSlot[s];
        if (slot == 0) {
          groupStart[b] = m; // a sentence's candidate comes first, then its references
        } else if (dropped != null && dropped[n][slot]) {
          continue;
        }
        int start = batch.segStart[s];
        int lastStart = start + batch.segLength[s] - n;
        for (int t = start; t <= lastStart; t++) {
          long key;
          if (n == 1) {
            if (!batch.tokenValid(t)) {
              continue;
            }
            key = batch.tokens[t];
          } else {
            int prefix = prevId[t];
            int last = unigramId[t + n - 1];
            if (prefix < 0 || last < 0) {
              continue; // contains an n-gram that matched nothing, so this one cannot match
            }
            key = (long) (prefix - prevLo[b]) * uniCount[b] + (last - uniLo[b]);
          }
          keys[m] = key;
          pos[m] = t;
          m++;
        }
      }
      groupStart[size] = m;
      if (m == 0) {
        break; // nothing left to match at this or any higher order
      }
      int[] nextId = new int[total];
      Arrays.fill(nextId, -1);
      int[] lo = new int[size];
      int[] count = new int[size];
      int id = 0;
      for (int b = 0; b < size; b++) {
        int from = groupStart[b];
        int to = groupStart[b + 1];
        // Step 2: unique with inverse, by a stable sort of the sentence's keys.
        radixSort(keys, pos, tmpKeys, tmpPos, from, to);
        // Steps 3-4: candidate and per-reference counts of each entry, clip, ids for order n+1.
        lo[b] = id;
        for (int i = from; i < to; ) {
          int runEnd = i + 1;
          while (runEnd < to && keys[runEnd] == keys[i]) {
            runEnd++;
          }
          int cand = 0;
          int refMax = 0;
          int slot = 0;
          int slotCount = 0;
          for (int j = i; j < runEnd; j++) { // stable sort: candidate, then ref 1, ref 2, ...
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
            num[b * maxN + n - 1] += Math.min(cand, refMax);
            for (int j = i; j < runEnd; j++) {
              nextId[pos[j]] = id;
            }
            id++;
          }
          i = runEnd;
        }
        count[b] = id - lo[b];
      }
      if (n == 1) {
        unigramId = nextId;
        uniLo = lo;
        uniCount = count;
      }
      prevId = nextId;
      prevLo = lo;
    }
    return num;
  }

  /**
   * Stable LSD radix sort of {@code keys[from, to)} carrying {@code pos} along, in place. The tmp
   * arrays are scratch space used from index 0; they need {@code to - from} entries. Digits span
   * the keys' actual range, at most {@value #RADIX_BITS} bits each so the histogram stays in L1.
   * Public for {@code tokenrl bench bleu --nd4j}, which times it against ND4J's unique op.
   */
  public static void radixSort(
      long[] keys, int[] pos, long[] tmpKeys, int[] tmpPos, int from, int to) {
    int m = to - from;
    if (m < 2) {
      return;
    }
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = from; i < to; i++) {
      min = Math.min(min, keys[i]);
      max = Math.max(max, keys[i]);
    }
    int bits = 64 - Long.numberOfLeadingZeros(max - min);
    if (bits == 0) {
      return; // all keys equal
    }
    int passes = (bits + RADIX_BITS - 1) / RADIX_BITS;
    int digitBits = (bits + passes - 1) / passes;
    int buckets = 1 << digitBits;
    long mask = buckets - 1;
    int[] count = new int[buckets];
    long[] srcK = keys;
    int[] srcP = pos;
    int srcBase = from;
    long[] dstK = tmpKeys;
    int[] dstP = tmpPos;
    int dstBase = 0;
    for (int shift = 0; shift < bits; shift += digitBits) {
      Arrays.fill(count, 0);
      for (int i = srcBase; i < srcBase + m; i++) {
        count[(int) (((srcK[i] - min) >>> shift) & mask)]++;
      }
      int sum = dstBase;
      for (int d = 0; d < buckets; d++) {
        int c = count[d];
        count[d] = sum;
        sum += c;
      }
      for (int i = srcBase; i < srcBase + m; i++) {
        long k = srcK[i];
        int at = count[(int) (((k - min) >>> shift) & mask)]++;
        dstK[at] = k;
        dstP[at] = srcP[i];
      }
      long[] k = srcK;
      srcK = dstK;
      dstK = k;
      int[] p = srcP;
      srcP = dstP;
      dstP = p;
      int base = srcBase;
      srcBase = dstBase;
      dstBase = base;
    }
    if (srcK != keys) {
      System.arraycopy(srcK, 0, keys, from, m);
      System.arraycopy(srcP, 0, pos, from, m);
    }
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
    final int maxSentenceTokens; // candidate plus references, the largest over the batch

    private Batch(int[][] cands, int[][][] refs, BleuMode mode) {
      size = cands.length;
      maskPad = mode == BleuMode.TENSORBLEU_COMPAT;
      int maxR = 0;
      int segments = 0;
      long total = 0;
      long maxSentence = 0;
      for (int b = 0; b < size; b++) {
        checkIds(cands[b], "candidates[" + b + "]");
        long before = total;
        total += cands[b].length;
        int[][] rb = refs[b];
        if (rb == null || rb.length == 0) {
          throw new IllegalArgumentException(
              "references[" + b + "] is empty: every candidate needs at least one reference");
        }
        maxR = Math.max(maxR, rb.length);
        segments += 1 + rb.length;
        for (int i = 0; i < rb.length; i++) {
          checkIds(rb[i], "references[" + b + "][" + i + "]");
          total += rb[i].length;
        }
        maxSentence = Math.max(maxSentence, total - before);
      }
      if (total > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("batch too large: " + total + " tokens; split it");
      }
      maxRefs = maxR;
      maxSentenceTokens = (int) maxSentence;
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
            cands.length
                + " candidates but "
                + refs.length
                + " reference lists: give one list per"
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

    private static void checkIds(int[] ids, String what) {
      if (ids == null) {
        throw new IllegalArgumentException(what + " is null");
      }
      for (int id : ids) {
        if (id < 0) {
          throw new IllegalArgumentException(what + " holds a negative token id " + id);
        }
      }
    }

    /** TensorBLEU masks every occurrence of its pad id 0; NLTK has no padding. */
    boolean tokenValid(int t) {
      return !maskPad || tokens[t] != 0;
    }

    int slotOf(int t) {
      return segSlot[segOfPos[t]];
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
