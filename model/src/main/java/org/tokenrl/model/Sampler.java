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

  static int next(double[] logits, SamplingParams params, SplittableRandom rng) {
    int v = logits.length;
    if (params.greedy()) {
      return argmax(logits);
    }
    double u = rng.nextDouble();
    if (params.topK() <= 0 && params.topP() >= 1) {
      return unfiltered(logits, params.temperature(), u);
    }
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

  /** Inverse CDF in id order: no sort needed when nothing is filtered. */
  private static int unfiltered(double[] logits, double temperature, double u) {
    double max = logits[argmax(logits)] / temperature;
    double[] probs = new double[logits.length];
    double total = 0;
    for (int i = 0; i < logits.length; i++) {
      probs[i] = Math.exp(logits[i] / temperature - max);
      total += probs[i];
    }
    double target = u * total;
    double acc = 0;
    for (int i = 0; i < logits.length; i++) {
      acc += probs[i];
      if (target < acc) {
        return i;
      }
    }
    return argmax(logits); // u*total rounded up to the total
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
