package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.Grpo.GroupStats;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * TEMPO token advantages (Tran, Yao, Yu, arXiv 2509.18314; docs/tempo.md), as in the official
 * {@code compute_tempo_outcome_advantage} but O(G·T) per group through a prefix trie.
 *
 * <p>Per group, the responses form a trie rooted at the empty prefix; node s holds the mean reward
 * V(s) of the responses passing through it. Token t of response i, leading from prefix s_t to
 * s_{t+1}, gets
 *
 * <pre>
 *   δ_it = V(s_{t+1}) − V(s_t)                         (0 unless the trie splits at s_t)
 *   A_it = (r_i − mean + td_weight·δ_it) / (std + ε)   norm_std = true (std unbiased)
 *   A_it =  r_i − mean + td_weight·δ_it                norm_std = false
 * </pre>
 *
 * Singleton groups, all-equal groups and NaN-reward responses get A = 0 (NaN responses are also
 * left out of the trie). Tokens outside the batch's loss mask get A = 0 and no loss, but stay in
 * the trie: they are part of the prefix the later tokens follow. The loss is the shared {@link
 * ClippedPolicyObjective}.
 */
public final class Tempo implements RlAlgorithm {

  /**
   * @param normStd divide by (std + ε) as the official code does; false for Dr.GRPO-style runs
   * @param epsAdv ε added to the std (official code 1e-6)
   * @param tdWeight weight of δ; the official code uses 1 (its {@code lam} is unused)
   */
  public record Options(boolean normStd, double epsAdv, double tdWeight) {
    public Options {
      if (!(epsAdv >= 0)) {
        throw new IllegalArgumentException("algorithm.eps_adv must be >= 0, got " + epsAdv);
      }
      if (!Double.isFinite(tdWeight)) {
        throw new IllegalArgumentException("algorithm.td_weight must be finite, got " + tdWeight);
      }
    }

    static Options from(Config c) {
      return new Options(
          c.getBoolean("norm_std"),
          Algorithms.SETTINGS.number(c, "eps_adv"),
          Algorithms.SETTINGS.number(c, "td_weight"));
    }
  }

  /**
   * TEMPO's keys and the official training scripts' loss settings (clip 0.2/0.28, no KL,
   * token-mean); documented in configs/algorithm/tempo.conf.
   */
  static final Config DEFAULTS =
      ConfigFactory.parseString(
          """
          norm_std = true
          eps_adv = 1e-6
          td_weight = 1.0
          clip_eps_high = 0.28
          """);

  public static Tempo create(Config block) {
    Config c =
        Algorithms.SETTINGS.resolve(
            block, DEFAULTS.withFallback(RlOptions.DEFAULTS), Algorithms.NAME_KEYS, "tempo");
    return new Tempo(Options.from(c), RlOptions.from(c), StrictSettings.with(c, "name", "tempo"));
  }

  private final Options options;
  private final RlOptions common;
  private final Config settings;

  private Tempo(Options options, RlOptions common, Config settings) {
    this.options = options;
    this.common = common;
    this.settings = settings;
  }

  /**
   * TEMPO with these options and every common key at GRPO's default (clip_eps_high = 0.2, not
   * TEMPO's 0.28; settings hold only the name).
   */
  public Tempo(Options options) {
    this(
        options, RlOptions.defaults(), StrictSettings.with(ConfigFactory.empty(), "name", "tempo"));
  }

  @Override
  public String name() {
    return "tempo";
  }

  @Override
  public Config settings() {
    return settings;
  }

  @Override
  public int updatesPerBatch() {
    return common.updatesPerBatch();
  }

  @Override
  public boolean needsReference() {
    return common.objective().needsReference();
  }

  public ClippedPolicyObjective objective() {
    return common.objective();
  }

  @Override
  public LossResult loss(PolicyLossInput input) {
    return common.withEntropyBonus(input, common.objective().compute(input));
  }

  @Override
  public TokenCredit credit(RlBatch in) {
    int n = in.size();
    int groupSize = in.groupSize();
    double[][] adv = new double[n][];
    boolean[][] keep = new boolean[n][];
    for (int i = 0; i < n; i++) {
      keep[i] = in.lossMask()[i].clone();
      adv[i] = new double[keep[i].length];
    }
    long tokens = 0;
    long branching = 0;
    double deltaAbs = 0;
    for (int g = 0; g < n / groupSize; g++) {
      Trie trie = new Trie();
      int from = g * groupSize;
      int[][] path = new int[groupSize][]; // trie node reached after each token
      for (int i = from; i < from + groupSize; i++) {
        if (!Double.isNaN(in.rewards()[i])) {
          path[i - from] = trie.insert(in.responses()[i], in.rewards()[i]);
        }
      }
      GroupStats s = GroupStats.of(in.rewards(), from, groupSize);
      double scale = options.normStd() ? 1.0 / (s.std() + options.epsAdv()) : 1.0;
      for (int i = from; i < from + groupSize; i++) {
        double r = in.rewards()[i];
        if (Double.isNaN(r)) {
          continue;
        }
        int node = Trie.ROOT;
        for (int t = 0; t < path[i - from].length; t++) {
          int child = path[i - from][t];
          if (keep[i][t]) {
            double delta = trie.value(child) - trie.value(node);
            branching += trie.count[child] < trie.count[node] ? 1 : 0;
            deltaAbs += Math.abs(delta);
            tokens++;
            // all-equal or singleton group: A = 0/(0+ε) = 0 exactly, whatever the rounding of V
            adv[i][t] = s.constant() ? 0.0 : (r - s.mean() + options.tdWeight() * delta) * scale;
          }
          node = child;
        }
      }
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    Grpo.putRewardMetrics(metrics, in.rewards(), groupSize);
    metrics.put(Metrics.TEMPO_BRANCH_TOKEN_FRAC, tokens == 0 ? 0 : branching / (double) tokens);
    metrics.put(Metrics.TEMPO_DELTA_ABS_MEAN, tokens == 0 ? 0 : deltaAbs / tokens);
    return common.maskTruncated(in, new TokenCredit(adv, keep, keep, metrics));
  }

  /**
   * Prefix-to-tree of one group: node ids are dense, children are found by (parent, token) in an
   * open-addressing hash table, and each node keeps the count and reward sum of the responses
   * through it.
   */
  private static final class Trie {
    static final int ROOT = 0;
    private static final long EMPTY = -1L; // keys are (node << 32 | token) with node ≥ 0, never −1
    int[] count = new int[16];
    double[] sum = new double[16];
    private int size = 1;
    private long[] keys = newKeys(64);
    private int[] values = new int[64];
    private int entries;

    /** Adds one response and returns the node reached after each of its tokens. */
    int[] insert(int[] tokens, double reward) {
      int[] path = new int[tokens.length];
      int node = ROOT;
      add(node, reward);
      for (int t = 0; t < tokens.length; t++) {
        node = childOrNew(node, tokens[t]);
        add(node, reward);
        path[t] = node;
      }
      return path;
    }

    double value(int node) {
      return sum[node] / count[node];
    }

    private int childOrNew(int node, int token) {
      long key = ((long) node << 32) | (token & 0xffffffffL);
      int mask = keys.length - 1;
      int slot = mix(key) & mask;
      while (keys[slot] != EMPTY) {
        if (keys[slot] == key) {
          return values[slot];
        }
        slot = (slot + 1) & mask;
      }
      int child = newNode();
      keys[slot] = key;
      values[slot] = child;
      if (++entries * 2 > keys.length) {
        grow();
      }
      return child;
    }

    private void grow() {
      long[] oldKeys = keys;
      int[] oldValues = values;
      keys = newKeys(oldKeys.length * 2);
      values = new int[oldKeys.length * 2];
      int mask = keys.length - 1;
      for (int j = 0; j < oldKeys.length; j++) {
        if (oldKeys[j] != EMPTY) {
          int slot = mix(oldKeys[j]) & mask;
          while (keys[slot] != EMPTY) {
            slot = (slot + 1) & mask;
          }
          keys[slot] = oldKeys[j];
          values[slot] = oldValues[j];
        }
      }
    }

    private void add(int node, double reward) {
      count[node]++;
      sum[node] += reward;
    }

    private int newNode() {
      if (size == count.length) {
        count = Arrays.copyOf(count, 2 * size);
        sum = Arrays.copyOf(sum, 2 * size);
      }
      return size++;
    }

    private static long[] newKeys(int capacity) {
      long[] k = new long[capacity];
      Arrays.fill(k, EMPTY);
      return k;
    }

    private static int mix(long key) {
      long h = key * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads (node, token) pairs
      return (int) (h ^ (h >>> 32));
    }
  }
}
