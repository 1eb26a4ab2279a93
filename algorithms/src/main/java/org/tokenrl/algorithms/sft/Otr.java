package org.tokenrl.algorithms.sft;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * OTR, one-token rollout (Ming et al., arXiv 2509.26313; docs/otr.md, provisional: from the
 * abstract and public reviews). SFT with teacher forcing where every response position is a
 * one-step episode: K candidates are drawn from the detached, temperature-scaled π′ = softmax(z/τ),
 * each rewarded 1 if it is the ground-truth token x_t and β otherwise, and REINFORCE is applied
 * with the untempered log πθ:
 *
 * <pre>
 *   L_t = −(1/K)·Σ_k R(a_k)·log πθ(a_k)                      (sampled, the paper's form)
 *   L_t = −Σ_v R(v)·π′(v)·log πθ(v)                          (expectation = true: K → ∞)
 *   L_t += sft_mix · (−log πθ(x_t))
 * </pre>
 *
 * reduced by seq-mean (1/T_i per sequence, then mean over non-empty sequences: the paper's 1/T) or
 * token-mean. The candidates come from the logits the teacher-forced pass already computed: per
 * position one inverse-CDF walk over the vocabulary with K sorted uniforms, O(V + K), not K forward
 * passes. The uniforms come from a SplittableRandom keyed by (seed, row, position), so the draws
 * are deterministic and do not depend on the other rows of the batch.
 *
 * <p>Length: one algorithm, one file (options, sampling, loss and gradient together), as CleanRL
 * keeps an algorithm readable top to bottom.
 */
public final class Otr {

  /** How per-position losses become one scalar. */
  public enum Reduction {
    /** Mean over each sequence's positions, then over sequences with at least one position. */
    SEQ_MEAN,
    /** Mean over all positions of the batch. */
    TOKEN_MEAN
  }

  /**
   * @param k candidates per position (K ≥ 1; the paper: 256)
   * @param temperature τ > 0 of the sampling policy π′ (reviewers: > 1)
   * @param beta reward of a non-ground-truth candidate, &lt; 1 (reviewers: slightly negative)
   * @param reduction seq-mean or token-mean
   * @param sftMix weight ≥ 0 of an added plain NLL term (0 = pure OTR)
   * @param expectation use the exact expectation over π′ instead of K samples
   */
  public record Options(
      int k,
      double temperature,
      double beta,
      Reduction reduction,
      double sftMix,
      boolean expectation) {
    public Options {
      if (k < 1) {
        throw new IllegalArgumentException(
            "algorithm.k must be >= 1 (candidates per position), got " + k);
      }
      if (!(temperature > 0) || Double.isInfinite(temperature)) {
        throw new IllegalArgumentException(
            "algorithm.temperature must be > 0 (tau -> 0 is argmax sampling), got " + temperature);
      }
      if (!(beta < 1) || Double.isInfinite(beta)) {
        throw new IllegalArgumentException(
            "algorithm.beta must be < 1: with beta = 1 every candidate gets the same reward and"
                + " OTR learns nothing in expectation; got "
                + beta);
      }
      if (!(sftMix >= 0) || Double.isInfinite(sftMix)) {
        throw new IllegalArgumentException("algorithm.sft_mix must be >= 0, got " + sftMix);
      }
    }

    static Options from(Config c) {
      return new Options(
          c.getInt("k"),
          Algorithms.SETTINGS.number(c, "temperature"),
          Algorithms.SETTINGS.number(c, "beta"),
          Algorithms.SETTINGS.choice(c, "reduction", Reduction.class),
          Algorithms.SETTINGS.number(c, "sft_mix"),
          c.getBoolean("expectation"));
    }
  }

  /** OTR's keys; documented in configs/algorithm/otr.conf (β, τ are guesses, docs/otr.md §1). */
  static final Config DEFAULTS =
      ConfigFactory.parseString(
          """
          k = 256
          temperature = 1.5
          beta = -0.1
          reduction = seq-mean
          sft_mix = 0.0
          expectation = false
          """);

  public static SupervisedAlgorithm create(Config block) {
    Config c = Algorithms.SETTINGS.resolve(block, DEFAULTS, Algorithms.NAME_KEYS, "otr");
    return new SupervisedAlgorithm(
        "otr", new Otr(Options.from(c)), StrictSettings.with(c, "name", "otr"));
  }

  private final Options options;

  public Otr(Options options) {
    this.options = options;
  }

  public Options options() {
    return options;
  }

  /**
   * Loss and coefficients, drawing K candidates per position (or taking the expectation).
   *
   * @param logProbs log-softmax rows at temperature 1, [N][T_i][V] (Policy.responseLogProbs)
   * @param labels ground-truth response tokens, [N][T_i]
   * @param seed draws are keyed by (seed, row, position): vary it per step
   */
  public OtrResult compute(float[][][] logProbs, int[][] labels, long seed) {
    return run(toDouble(logProbs), labels, null, seed);
  }

  /** The same on double log-probs (exact reference computations and tests). */
  public OtrResult compute(double[][][] logProbs, int[][] labels, long seed) {
    return run(logProbs, labels, null, seed);
  }

  /**
   * Loss and coefficients with given candidates (tests, or an external sampler); K is each
   * position's sample count, {@code options.k()} and {@code expectation} are not used.
   *
   * @param samples candidate ids per position, [N][T_i][K], K ≥ 1
   */
  public OtrResult compute(float[][][] logProbs, int[][] labels, int[][][] samples) {
    return compute(toDouble(logProbs), labels, samples);
  }

  /** The same on double log-probs. */
  public OtrResult compute(double[][][] logProbs, int[][] labels, int[][][] samples) {
    if (samples == null) {
      throw new IllegalArgumentException("samples is null; use compute(logProbs, labels, seed)");
    }
    return run(logProbs, labels, samples, 0);
  }

  private static double[][][] toDouble(float[][][] x) {
    if (x == null) {
      return null;
    }
    double[][][] out = new double[x.length][][];
    for (int i = 0; i < x.length; i++) {
      if (x[i] == null) {
        continue;
      }
      out[i] = new double[x[i].length][];
      for (int t = 0; t < x[i].length; t++) {
        if (x[i][t] == null) {
          continue;
        }
        out[i][t] = new double[x[i][t].length];
        for (int v = 0; v < x[i][t].length; v++) {
          out[i][t][v] = x[i][t][v];
        }
      }
    }
    return out;
  }

  private OtrResult run(double[][][] logProbs, int[][] labels, int[][][] samples, long seed) {
    validate(logProbs, labels, samples);
    Streaming stream = new Streaming(labels, samples, seed);
    double[][][] coef = new double[logProbs.length][][];
    for (int i = 0; i < logProbs.length; i++) {
      coef[i] = new double[logProbs[i].length][];
      for (int t = 0; t < logProbs[i].length; t++) {
        coef[i][t] = stream.position(i, t, logProbs[i][t]);
      }
    }
    return stream.result(coef);
  }

  /**
   * OTR over log-prob rows that arrive one position at a time, as {@code Policy.responseLogProbs}
   * streams them: memory O(V) per position instead of [N][T][V]. Same draws, loss and coefficients
   * as {@link #compute(float[][][], int[][], long)}.
   *
   * @param labels ground-truth response tokens, [N][T_i]
   * @param seed draws are keyed by (seed, row, position)
   */
  public Streaming streaming(int[][] labels, long seed) {
    return new Streaming(labels, null, seed);
  }

  /** Accumulates loss and metrics over the positions it is given; see {@link #streaming}. */
  public final class Streaming {
    private final int[][] labels;
    private final int[][][] samples;
    private final long seed;
    private final double[] rowWeight;
    private double loss;
    private double pgLoss;
    private double nll;
    private double gtFrac;
    private long tokens;

    private Streaming(int[][] labels, int[][][] samples, long seed) {
      this.labels = labels;
      this.samples = samples;
      this.seed = seed;
      this.rowWeight = rowWeights(labels);
    }

    /** The same for float log-probs (what the policy streams). */
    public double[] position(int i, int t, float[] logp) {
      double[] lp = new double[logp.length];
      for (int v = 0; v < lp.length; v++) {
        lp[v] = logp[v];
      }
      return position(i, t, lp);
    }

    /** dLoss/dlog p(v) for every id v at position t of row i, given that position's log p. */
    public double[] position(int i, int t, double[] lp) {
      int vocab = lp.length;
      int x = labels[i][t];
      if (x < 0 || x >= vocab) {
        throw new IllegalArgumentException(
            "labels[" + i + "][" + t + "] = " + x + " is outside [0, " + vocab + ")");
      }
      double[] q = candidateWeights(lp, samples, vocab, seed, i, t);
      double[] c = new double[vocab];
      double lt = 0;
      for (int v = 0; v < vocab; v++) {
        double reward = v == x ? 1.0 : options.beta();
        c[v] = -reward * q[v];
        if (c[v] != 0) {
          lt += c[v] * lp[v]; // skip undrawn ids: 0 · (−∞) would be NaN
        }
      }
      pgLoss += rowWeight[i] * lt;
      c[x] -= options.sftMix();
      lt += -options.sftMix() * lp[x];
      loss += rowWeight[i] * lt;
      for (int v = 0; v < vocab; v++) {
        c[v] *= rowWeight[i];
      }
      nll -= lp[x];
      gtFrac += q[x];
      tokens++;
      return c;
    }

    /** Loss and metrics of the positions seen; {@code vocabCoef} is passed through. */
    public OtrResult result(double[][][] vocabCoef) {
      Map<String, Double> metrics = new LinkedHashMap<>();
      double perToken = 1.0 / Math.max(1, tokens);
      metrics.put(Metrics.OTR_LOSS, loss);
      metrics.put(Metrics.OTR_PG_LOSS, pgLoss);
      metrics.put(Metrics.OTR_NLL, nll * perToken);
      metrics.put(Metrics.OTR_GT_SAMPLE_FRAC, gtFrac * perToken);
      metrics.put(Metrics.OTR_TOKENS, (double) tokens);
      return new OtrResult(loss, vocabCoef, metrics);
    }
  }

  /** Weight of each id among the candidates: n_v / K, or π′(v) in the expectation form. */
  private double[] candidateWeights(
      double[] lp, int[][][] samples, int vocab, long seed, int row, int position) {
    if (samples != null) {
      return frequencies(samples[row][position], vocab, row, position);
    }
    double tau = options.temperature();
    if (options.expectation()) {
      return temperedProbabilities(lp, tau);
    }
    return frequencies(draw(lp, tau, options.k(), key(seed, row, position)), vocab, row, position);
  }

  /** Weight of each of row i's positions in the reduced loss; empty rows are skipped. */
  private double[] rowWeights(int[][] labels) {
    int n = labels.length;
    long total = 0;
    int nonEmpty = 0;
    for (int[] row : labels) {
      total += row.length;
      nonEmpty += row.length > 0 ? 1 : 0;
    }
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      int len = labels[i].length;
      if (len == 0) {
        continue;
      }
      w[i] =
          options.reduction() == Reduction.SEQ_MEAN ? 1.0 / ((double) nonEmpty * len) : 1.0 / total;
    }
    return w;
  }

  /** π′ = softmax(log p / τ), which equals softmax(z / τ) because log p = z − const. */
  static double[] temperedProbabilities(double[] logp, double tau) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : logp) {
      max = Math.max(max, v);
    }
    double[] q = new double[logp.length];
    double sum = 0;
    for (int v = 0; v < q.length; v++) {
      q[v] = Math.exp((logp[v] - max) / tau);
      sum += q[v];
    }
    for (int v = 0; v < q.length; v++) {
      q[v] /= sum;
    }
    return q;
  }

  /**
   * K i.i.d. draws from softmax(log p / τ) in one pass: sorted uniforms u_(1) ≤ … ≤ u_(K) (from
   * normalised cumulative exponential spacings, O(K) without a sort) are matched against the
   * running CDF. Returns the ids in increasing order.
   */
  static int[] draw(double[] logp, double tau, int k, SplittableRandom rng) {
    double[] q = temperedProbabilities(logp, tau);
    double total = 0;
    int lastPositive = 0;
    for (int v = 0; v < q.length; v++) {
      total += q[v];
      if (q[v] > 0) {
        lastPositive = v;
      }
    }
    double[] spacing = new double[k + 1];
    double s = 0;
    for (int j = 0; j <= k; j++) {
      s += -Math.log1p(-rng.nextDouble()); // Exp(1); nextDouble ∈ [0,1) keeps it finite
      spacing[j] = s;
    }
    int[] out = new int[k];
    int v = 0;
    double cum = q[0];
    for (int j = 0; j < k; j++) {
      double threshold = spacing[j] / s * total; // the j-th smallest of K uniforms, scaled
      // never step past the last token with mass, whatever the rounding of cum
      while (cum < threshold && v < lastPositive) {
        v++;
        cum += q[v];
      }
      out[j] = v;
    }
    return out;
  }

  /** The random stream of position t of row i: independent of the batch's other rows. */
  static SplittableRandom key(long seed, int row, int position) {
    return new SplittableRandom(mix(mix(mix(seed) ^ row) ^ ((long) position << 32)));
  }

  /** SplitMix64's finaliser: a bijective avalanche on 64 bits. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private static double[] frequencies(int[] ids, int vocab, int row, int position) {
    if (ids == null || ids.length == 0) {
      throw new IllegalArgumentException(
          "samples[" + row + "][" + position + "] is empty; K must be >= 1");
    }
    double[] q = new double[vocab];
    for (int a : ids) {
      if (a < 0 || a >= vocab) {
        throw new IllegalArgumentException(
            "samples["
                + row
                + "]["
                + position
                + "] holds id "
                + a
                + ", outside the vocabulary [0, "
                + vocab
                + ")");
      }
      q[a] += 1.0 / ids.length;
    }
    return q;
  }

  /** Checks the shapes and returns V (0 for a batch without positions). */
  private static int validate(double[][][] logProbs, int[][] labels, int[][][] samples) {
    if (labels.length != logProbs.length) {
      throw new IllegalArgumentException(
          "labels has " + labels.length + " rows, logProbs has " + logProbs.length);
    }
    if (samples != null && samples.length != logProbs.length) {
      throw new IllegalArgumentException(
          "samples has " + samples.length + " rows, logProbs has " + logProbs.length);
    }
    int vocab = -1;
    for (int i = 0; i < logProbs.length; i++) {
      if (labels[i].length != logProbs[i].length) {
        throw new IllegalArgumentException(
            "labels row "
                + i
                + " has "
                + labels[i].length
                + " tokens, logProbs has "
                + logProbs[i].length
                + " positions");
      }
      if (samples != null && samples[i].length != logProbs[i].length) {
        throw new IllegalArgumentException(
            "samples row "
                + i
                + " has "
                + samples[i].length
                + " positions, logProbs has "
                + logProbs[i].length);
      }
      for (int t = 0; t < logProbs[i].length; t++) {
        int v = logProbs[i][t].length;
        if (vocab < 0) {
          vocab = v;
        } else if (v != vocab) {
          throw new IllegalArgumentException(
              "logProbs[" + i + "][" + t + "] has " + v + " entries, earlier rows have " + vocab);
        }
        if (labels[i][t] < 0 || labels[i][t] >= v) {
          throw new IllegalArgumentException(
              "labels[" + i + "][" + t + "] = " + labels[i][t] + " is outside [0, " + v + ")");
        }
      }
    }
    return Math.max(vocab, 0);
  }
}
