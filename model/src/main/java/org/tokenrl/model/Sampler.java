package org.tokenrl.model;

import java.util.SplittableRandom;

/**
 * Picks the next token of one row from its raw logits. Temperature, then top-k, then top-p
 * (nucleus) filtering, then inverse-CDF sampling with one uniform draw from the row's own RNG, so a
 * row's samples depend only on its seed and its logits. With filtering the CDF runs over tokens by
 * descending probability, without it over ids (no sort).
 */
final class Sampler {
  private Sampler() {}

  /** A drawn token with its log-prob and the entropy of the distribution it was scored under. */
  record Draw(int token, double logProb, double entropy) {}

  /**
   * Draws the next token and scores it under softmax(logits / scoring temperature). Unfiltered
   * sampling shares one pass of exponentials between the draw and the score (the exponentials are
   * the decode loop's largest Java cost at a 49k vocabulary); other modes score separately.
   */
  static Draw draw(double[] logits, SamplingParams params, SplittableRandom rng, double[] work) {
    if (params.greedy() || params.topK() > 0 || params.topP() < 1) {
      int tok = next(logits, params, rng);
      double[] lpEnt = logProbAndEntropy(logits, tok, params.scoringTemperature());
      return new Draw(tok, lpEnt[0], lpEnt[1]);
    }
    double t = params.temperature();
    double u = rng.nextDouble();
    double max = logits[argmax(logits)] / t;
    double total = 0;
    double weighted = 0; // Σ e^(z/t − max) · (z/t − max), for the entropy
    for (int i = 0; i < logits.length; i++) {
      double shifted = logits[i] / t - max;
      double e = Math.exp(shifted);
      work[i] = e;
      total += e;
      weighted += e * shifted;
    }
    int tok = inverseCdf(work, logits.length, u * total, logits);
    double logSum = Math.log(total);
    return new Draw(tok, logits[tok] / t - max - logSum, logSum - weighted / total);
  }

  static int next(double[] logits, SamplingParams params, SplittableRandom rng) {
    int v = logits.length;
    if (params.greedy()) {
      return argmax(logits);
    }
    if (params.topK() <= 0 && params.topP() >= 1) {
      return draw(logits, params, rng, new double[v]).token();
    }
    double u = rng.nextDouble();
    // indices by descending logit, ties to the lower id (stable sort on ascending ids)
    Integer[] order = new Integer[v];
    for (int i = 0; i < v; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a]));
    int keep = params.topK() > 0 ? Math.min(params.topK(), v) : v;
    double max = logits[order[0]] / params.temperature();
    double[] probs = new double[keep];
    double total = 0;
    for (int r = 0; r < keep; r++) {
      probs[r] = Math.exp(logits[order[r]] / params.temperature() - max);
      total += probs[r];
    }
    if (params.topP() < 1) {
      double cumulative = 0;
      int cut = keep;
      for (int r = 0; r < keep; r++) {
        cumulative += probs[r] / total;
        if (cumulative >= params.topP()) {
          cut = r + 1;
          break;
        }
      }
      keep = cut;
      total = 0;
      for (int r = 0; r < keep; r++) {
        total += probs[r];
      }
    }
    double target = u * total;
    double acc = 0;
    for (int r = 0; r < keep; r++) {
      acc += probs[r];
      if (target < acc) {
        return order[r];
      }
    }
    return order[keep - 1]; // u*total rounded up to the total
  }

  /** The first id whose cumulative weight exceeds {@code target} (target below the total). */
  private static int inverseCdf(double[] weights, int n, double target, double[] logits) {
    double acc = 0;
    for (int i = 0; i < n; i++) {
      acc += weights[i];
      if (target < acc) {
        return i;
      }
    }
    return argmax(logits); // u*total rounded up to the total
  }

  /**
   * log p(tok) and entropy of softmax(logits / temperature), in double, with one exp per id: H = −Σ
   * p (z − lse) = lse − Σ p z for z = logits / temperature.
   */
  static double[] logProbAndEntropy(double[] logits, int tok, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (double z : logits) {
      max = Math.max(max, z / temperature);
    }
    double sum = 0;
    double weighted = 0; // Σ e^(z − max) · (z − max)
    for (double z : logits) {
      double shifted = z / temperature - max;
      double e = Math.exp(shifted);
      sum += e;
      weighted += e * shifted;
    }
    double logSum = Math.log(sum); // lse − max
    return new double[] {logits[tok] / temperature - max - logSum, logSum - weighted / sum};
  }

  static int argmax(double[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }
}
