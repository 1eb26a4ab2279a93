package org.tokenrl.trainer.loop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The per-prompt numbers of a k-sample evaluation: pass@k, avg@n and maj@n (docs/evaluation.md).
 * Pure arithmetic over counts and extracted answers, so it is tested without a model.
 */
public final class SampledScores {
  // distinct from every answer a task extracts: those come from text, and this holds a NUL
  private static final String NO_ANSWER = "\0no answer";

  private SampledScores() {}

  /**
   * The unbiased pass@k estimator of Chen et al. 2021 (the Codex paper, eq. 1): the probability
   * that at least one of k samples drawn without replacement from {@code n} samples, {@code c} of
   * them correct, is correct: 1 − C(n−c, k) / C(n, k).
   *
   * <p>The binomials overflow long before n is large, so it is computed as HumanEval's {@code
   * estimate_pass_at_k} does: C(n−c, k) / C(n, k) = Π_{i = n−c+1}^{n} (1 − k / i), a product of
   * numbers in [0, 1] with no cancellation.
   *
   * @throws IllegalArgumentException unless 0 ≤ c ≤ n and 1 ≤ k ≤ n
   */
  public static double passAtK(int n, int c, int k) {
    if (n < 1 || c < 0 || c > n || k < 1 || k > n) {
      throw new IllegalArgumentException(
          "pass@k needs 0 <= c <= n and 1 <= k <= n, got n=" + n + " c=" + c + " k=" + k);
    }
    if (n - c < k) {
      return 1.0; // every k-subset holds a correct sample
    }
    double allWrong = 1.0;
    for (int i = n - c + 1; i <= n; i++) {
      allWrong *= 1.0 - (double) k / i;
    }
    return 1.0 - allWrong;
  }

  /**
   * The k values reported for {@code n} samples: 1, 2, 4, ... below n, and n itself (what verl and
   * OpenRLHF log: a doubling ladder ending at the sample count).
   */
  public static List<Integer> ladder(int n) {
    List<Integer> ks = new ArrayList<>();
    for (int k = 1; k < n; k *= 2) {
      ks.add(k);
    }
    ks.add(n);
    return ks;
  }

  /**
   * The index of the majority answer among {@code answers} (sample order): the answer written most
   * often; a tie goes to the tied answer that appears first, as lighteval's maj@k does ({@code
   * max(answers, key=answers.count)}). A null answer (nothing extracted) votes as one more answer,
   * "no answer", and can win.
   */
  public static int majority(List<String> answers) {
    if (answers.isEmpty()) {
      throw new IllegalArgumentException("majority of no answers");
    }
    Map<String, int[]> votes = new LinkedHashMap<>(); // answer -> {count, first index}
    for (int i = 0; i < answers.size(); i++) {
      String key = Objects.requireNonNullElse(answers.get(i), NO_ANSWER);
      int index = i;
      votes.computeIfAbsent(key, a -> new int[] {0, index})[0]++;
    }
    int best = -1;
    int bestCount = 0;
    for (int[] v : votes.values()) { // first-seen order, so ">" keeps the earliest of a tie
      if (v[0] > bestCount) {
        bestCount = v[0];
        best = v[1];
      }
    }
    return best;
  }
}
