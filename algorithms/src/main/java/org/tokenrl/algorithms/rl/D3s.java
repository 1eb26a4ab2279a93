package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * D³S, dynamic dual-level down-sampling (Wang et al., arXiv 2509.22115; docs/d3s.md), on top of any
 * base credit assigner (GRPO or TEMPO). The base advantages are left unchanged; D³S only narrows
 * the keep-mask:
 *
 * <ol>
 *   <li>schedule: (N_s, K) = (1−p)·(n_init, k_init) + p·(n_final, k_final) over progress p;
 *   <li>samples: the m = max(2, ⌊N_s·pool⌋) responses maximising the variance of their sequence
 *       advantage, over the whole batch ({@code cross}) or inside each group ({@code intra});
 *   <li>tokens: of the kept samples' tokens, the top k = max(1, ⌊K·count⌋) by |A_it|·H_it.
 * </ol>
 *
 * Choices where the sources are silent (docs/d3s.md): a sample's advantage is the mean of its token
 * advantages (A_i for GRPO); the pool holds only responses with at least one base keep-token
 * (truncated ones under {@code mask_truncated} are not candidates); ties go to the lowest flat
 * index (docs/d3s.md §6). Tokens outside the batch's loss mask are never base keep-tokens, so they
 * are neither counted nor selected. The loss, the update epochs and the reference are the base's.
 *
 * <p>Length: one algorithm, one file: the schedule, both selection stages and how they wrap the
 * base algorithm's credit read in order.
 */
public final class D3s implements RlAlgorithm {

  /** Whether sample selection runs once over the batch or once per group (D³S-I). */
  public enum SampleMode {
    CROSS,
    INTRA
  }

  /** What the loss normaliser counts after down-sampling. */
  public enum LossDenominator {
    /** the kept tokens, so a small K does not shrink the gradient (docs/d3s.md §5) */
    KEPT,
    /** the base mask, as TRL's top-entropy option does */
    FULL
  }

  /**
   * @param nInit sample fraction N_s at progress 0
   * @param nFinal sample fraction N_s at progress 1
   * @param kInit token fraction K at progress 0
   * @param kFinal token fraction K at progress 1
   * @param sampleMode cross (default) or intra
   * @param lossDenominator kept (default) or full
   */
  public record Options(
      double nInit,
      double nFinal,
      double kInit,
      double kFinal,
      SampleMode sampleMode,
      LossDenominator lossDenominator) {
    public Options {
      for (double f : new double[] {nInit, nFinal, kInit, kFinal}) {
        if (!(f > 0 && f <= 1)) {
          throw new IllegalArgumentException(
              "d3s fractions n_init, n_final, k_init, k_final must be in (0,1], got " + f);
        }
      }
    }

    static Options from(Config c) {
      return new Options(
          Algorithms.SETTINGS.fraction(c, "n_init"),
          Algorithms.SETTINGS.fraction(c, "n_final"),
          Algorithms.SETTINGS.fraction(c, "k_init"),
          Algorithms.SETTINGS.fraction(c, "k_final"),
          Algorithms.SETTINGS.choice(c, "sample_mode", SampleMode.class),
          Algorithms.SETTINGS.choice(c, "loss_denominator", LossDenominator.class));
    }

    /** N_s(p), the fraction of the pool kept. */
    public double sampleFraction(double progress) {
      return (1 - progress) * nInit + progress * nFinal;
    }

    /** K(p), the fraction of the kept samples' tokens kept. */
    public double tokenFraction(double progress) {
      return (1 - progress) * kInit + progress * kFinal;
    }
  }

  /**
   * D³S's own keys; the schedule endpoints are guesses (docs/d3s.md) (the paper's are unpublished).
   * Documented in configs/algorithm/d3s.conf; every other key goes to the base.
   */
  public static final Config DEFAULTS =
      ConfigFactory.parseString(
          """
          base = grpo
          n_init = 0.25
          n_final = 1.0
          k_init = 0.2
          k_final = 1.0
          sample_mode = cross
          loss_denominator = kept
          """);

  /** Floors fraction·count with a tolerance, so 0.6·10 = 5.999… still gives 6. */
  private static final double FLOOR_SLACK = 1e-9;

  public static D3s create(Config block) {
    Config own = ConfigFactory.empty();
    Config rest = block;
    for (String key : DEFAULTS.root().keySet()) {
      if (block.hasPath(key)) {
        own = own.withValue(key, block.getValue(key));
      }
      rest = rest.withoutPath(key);
    }
    own = own.withFallback(DEFAULTS);
    String base = own.getString("base");
    if (base.equals("d3s")) {
      throw new IllegalArgumentException(
          "algorithm.base of d3s must be another algorithm, e.g. grpo or tempo");
    }
    RlAlgorithm b;
    try {
      b = Algorithms.create(StrictSettings.with(rest, "name", base));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "d3s on base '"
              + base
              + "': "
              + e.getMessage()
              + " (d3s adds "
              + DEFAULTS.root().keySet()
              + ")",
          e);
    }
    return new D3s(
        Options.from(own), b, StrictSettings.with(own.withFallback(b.settings()), "name", "d3s"));
  }

  private final Options options;
  private final RlAlgorithm base;
  private final Config settings;

  private D3s(Options options, RlAlgorithm base, Config settings) {
    this.options = options;
    this.base = base;
    this.settings = settings;
  }

  /** D3S with these options on {@code base} (settings hold only the name). */
  public D3s(Options options, RlAlgorithm base) {
    this(options, base, StrictSettings.with(ConfigFactory.empty(), "name", "d3s"));
  }

  /** The algorithm whose advantages D3S down-samples and whose loss it trains with. */
  public RlAlgorithm base() {
    return base;
  }

  @Override
  public String name() {
    return "d3s";
  }

  @Override
  public Config settings() {
    return settings;
  }

  @Override
  public int updatesPerBatch() {
    return base.updatesPerBatch();
  }

  @Override
  public boolean needsReference() {
    return base.needsReference();
  }

  @Override
  public LossResult loss(PolicyLossInput input) {
    return base.loss(input);
  }

  @Override
  public TokenCredit credit(RlBatch in) {
    TokenCredit c = base.credit(in);
    double nFrac = options.sampleFraction(in.progress());
    double kFrac = options.tokenFraction(in.progress());
    int n = in.size();
    double[] seqAdv = new double[n];
    boolean[] candidate = new boolean[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      int count = 0;
      for (int t = 0; t < c.keep()[i].length; t++) {
        if (c.keep()[i][t]) {
          sum += c.advantages()[i][t];
          count++;
        }
      }
      candidate[i] = count > 0;
      seqAdv[i] = count > 0 ? sum / count : 0.0;
    }
    int[] kept =
        switch (options.sampleMode()) {
          case CROSS -> select(seqAdv, candidates(candidate, 0, n), nFrac);
          case INTRA ->
              IntStream.range(0, n / in.groupSize())
                  .flatMap(
                      g ->
                          Arrays.stream(
                              select(
                                  seqAdv,
                                  candidates(candidate, g * in.groupSize(), in.groupSize()),
                                  nFrac)))
                  .toArray();
        };
    boolean[][] keep;
    if (kFrac >= 1) {
      keep = new boolean[n][];
      for (int i = 0; i < n; i++) {
        keep[i] = new boolean[c.keep()[i].length];
      }
      for (int i : kept) {
        keep[i] = c.keep()[i].clone();
      }
    } else {
      if (in.entropies() == null) {
        throw new IllegalArgumentException(
            "d3s keeps the top "
                + kFrac
                + " of tokens by |A|·H and needs sampling-time token "
                + "entropies (RlBatch.entropies); compute them or set k_init = k_final = 1");
      }
      keep = selectTokens(kept, c.advantages(), in.entropies(), c.keep(), kFrac);
    }
    boolean[][] denominator =
        options.lossDenominator() == LossDenominator.KEPT ? keep : c.denominatorMask();

    Map<String, Double> metrics = new LinkedHashMap<>(c.metrics());
    int candidates = 0;
    long baseTokens = 0;
    long keptTokens = 0;
    for (int i = 0; i < n; i++) {
      candidates += candidate[i] ? 1 : 0;
      for (int t = 0; t < keep[i].length; t++) {
        baseTokens += c.keep()[i][t] ? 1 : 0;
        keptTokens += keep[i][t] ? 1 : 0;
      }
    }
    metrics.put(Metrics.D3S_SAMPLE_FRAC_TARGET, nFrac);
    metrics.put(Metrics.D3S_TOKEN_FRAC_TARGET, kFrac);
    metrics.put(Metrics.D3S_KEPT_SAMPLE_FRAC, n == 0 ? 0 : kept.length / (double) n);
    metrics.put(
        Metrics.D3S_KEPT_TOKEN_FRAC, baseTokens == 0 ? 0 : keptTokens / (double) baseTokens);
    metrics.put(
        Metrics.D3S_ADV_VAR_BEFORE, populationVariance(seqAdv, candidates(candidate, 0, n)));
    metrics.put(Metrics.D3S_ADV_VAR_AFTER, populationVariance(seqAdv, kept));
    metrics.put(Metrics.D3S_CANDIDATES, (double) candidates);
    return new TokenCredit(c.advantages(), keep, denominator, metrics);
  }

  private static int[] candidates(boolean[] candidate, int from, int length) {
    return IntStream.range(from, from + length).filter(i -> candidate[i]).toArray();
  }

  private static int[] select(double[] a, int[] pool, double fraction) {
    int m = Math.max(2, (int) Math.floor(fraction * pool.length + FLOOR_SLACK));
    return maxVarianceSubset(a, pool, m);
  }

  /**
   * The m-subset of {@code pool} with the largest variance of {@code a}, ascending. An optimal
   * subset is always "the k largest ∪ the m−k smallest" for some k (PODS lemma, docs/d3s.md §3), so
   * every k is tried in O(1) with prefix sums over the sorted values: O(n log n) overall. Ties in
   * value go to the lowest index; ties in variance to the smallest k. m ≥ |pool| keeps everything.
   */
  public static int[] maxVarianceSubset(double[] a, int[] pool, int m) {
    int n = pool.length;
    if (m >= n) {
      return IntStream.of(pool).sorted().toArray();
    }
    Integer[] bottom = IntStream.of(pool).boxed().toArray(Integer[]::new);
    // numeric comparisons (not Double.compare) so that −0.0 and 0.0 tie and fall to the index
    Arrays.sort(bottom, (x, y) -> a[x] < a[y] ? -1 : a[x] > a[y] ? 1 : Integer.compare(x, y));
    Integer[] top = bottom.clone();
    Arrays.sort(top, (x, y) -> a[x] > a[y] ? -1 : a[x] < a[y] ? 1 : Integer.compare(x, y));
    // values ascending, centred for a stable variance; the multiset for k is v[0, m−k) ∪ v[n−k, n)
    double centre = 0;
    for (int i : pool) {
      centre += a[i] / n;
    }
    double[] s1 = new double[n + 1];
    double[] s2 = new double[n + 1];
    for (int j = 0; j < n; j++) {
      double v = a[bottom[j]] - centre;
      s1[j + 1] = s1[j] + v;
      s2[j + 1] = s2[j] + v * v;
    }
    double bestVar = -1;
    int bestK = 0;
    for (int k = 0; k <= m; k++) {
      double sum = s1[m - k] + s1[n] - s1[n - k];
      double sq = s2[m - k] + s2[n] - s2[n - k];
      double var = sq / m - (sum / m) * (sum / m);
      if (var > bestVar + 1e-12) {
        bestVar = var;
        bestK = k;
      }
    }
    Set<Integer> selected = new LinkedHashSet<>(Arrays.asList(top).subList(0, bestK));
    for (int j = 0; selected.size() < m; j++) {
      selected.add(bottom[j]); // a tie may put a top element here too: the set skips it
    }
    return selected.stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  /**
   * Keeps, among the {@code mask} tokens of the {@code keptSamples}, the top max(1, ⌊K·count⌋) by
   * |A_it|·H_it; ties go to the lowest (row, position).
   */
  public static boolean[][] selectTokens(
      int[] keptSamples, double[][] adv, double[][] entropy, boolean[][] mask, double fraction) {
    int[] rows = IntStream.of(keptSamples).sorted().toArray();
    int count = 0;
    for (int i : rows) {
      for (boolean b : mask[i]) {
        count += b ? 1 : 0;
      }
    }
    int[] row = new int[count];
    int[] pos = new int[count];
    double[] score = new double[count];
    int j = 0;
    for (int i : rows) {
      for (int t = 0; t < mask[i].length; t++) {
        if (mask[i][t]) {
          row[j] = i;
          pos[j] = t;
          score[j] = Math.abs(adv[i][t]) * entropy[i][t] + 0.0; // + 0.0 turns −0.0 into 0.0
          if (Double.isNaN(score[j])) {
            throw new IllegalArgumentException(
                "d3s token score |A|·H is NaN at response "
                    + i
                    + ", position "
                    + t
                    + " (entropy "
                    + entropy[i][t]
                    + ")");
          }
          j++;
        }
      }
    }
    boolean[][] keep = new boolean[mask.length][];
    for (int i = 0; i < mask.length; i++) {
      keep[i] = new boolean[mask[i].length];
    }
    if (count == 0) {
      return keep;
    }
    int k = Math.min(count, Math.max(1, (int) Math.floor(fraction * count + FLOOR_SLACK)));
    // The k-th largest score is the threshold: every token above it is kept, and tokens equal to
    // it fill the remaining places in flat (row, position) order, which is the order of j.
    double[] sorted = score.clone();
    Arrays.sort(sorted);
    double threshold = sorted[count - k];
    int above = 0;
    for (double v : score) {
      above += v > threshold ? 1 : 0;
    }
    int ties = k - above;
    for (int x = 0; x < count; x++) {
      if (score[x] > threshold || (score[x] == threshold && ties-- > 0)) {
        keep[row[x]][pos[x]] = true;
      }
    }
    return keep;
  }

  static double populationVariance(double[] a, int[] idx) {
    if (idx.length == 0) {
      return 0;
    }
    double mean = 0;
    for (int i : idx) {
      mean += a[i];
    }
    mean /= idx.length;
    double ss = 0;
    for (int i : idx) {
      ss += (a[i] - mean) * (a[i] - mean);
    }
    return ss / idx.length;
  }
}
