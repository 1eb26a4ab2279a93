package org.tokenrl.trainer.loop;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.rl.DynamicSampling;
import org.tokenrl.core.Metrics;

/**
 * TRL's completion statistics of one RL step ({@code completions/*}), over every sampled row:
 * response lengths in tokens (EOS included), the share cut at {@code rollout.max_new_tokens}, the
 * lengths of the responses that ended by themselves, and the share of groups whose rewards are all
 * equal (they carry no group-relative signal). A statistic over no rows is NaN, which the metrics
 * log writes as null and TensorBoard skips (TRL writes 0, which reads as "empty answers").
 */
final class CompletionStats {
  private CompletionStats() {}

  static Map<String, Double> of(
      int[][] responses, boolean[] truncated, double[] rewards, int groupSize) {
    Map<String, Double> m = new LinkedHashMap<>();
    double[] all = lengths(responses, truncated, false);
    double[] terminated = lengths(responses, truncated, true);
    m.put(Metrics.COMPLETIONS_MEAN_LENGTH, mean(all));
    m.put(Metrics.COMPLETIONS_MIN_LENGTH, min(all));
    m.put(Metrics.COMPLETIONS_MAX_LENGTH, max(all));
    m.put(
        Metrics.COMPLETIONS_CLIPPED_RATIO,
        all.length == 0 ? Double.NaN : 1.0 - (double) terminated.length / all.length);
    m.put(Metrics.COMPLETIONS_MEAN_TERMINATED_LENGTH, mean(terminated));
    m.put(Metrics.COMPLETIONS_MIN_TERMINATED_LENGTH, min(terminated));
    m.put(Metrics.COMPLETIONS_MAX_TERMINATED_LENGTH, max(terminated));
    boolean[] withSignal = DynamicSampling.keepGroups(rewards, groupSize);
    int flat = 0;
    for (boolean s : withSignal) {
      flat += s ? 0 : 1;
    }
    m.put(
        Metrics.COMPLETIONS_ZERO_STD_GROUP_FRAC,
        withSignal.length == 0 ? Double.NaN : (double) flat / withSignal.length);
    return m;
  }

  /** Lengths of every row, or of the rows that were not truncated. */
  private static double[] lengths(int[][] responses, boolean[] truncated, boolean terminatedOnly) {
    return java.util.stream.IntStream.range(0, responses.length)
        .filter(i -> !terminatedOnly || !truncated[i])
        .mapToDouble(i -> responses[i].length)
        .toArray();
  }

  private static double mean(double[] x) {
    return x.length == 0 ? Double.NaN : java.util.Arrays.stream(x).average().orElse(Double.NaN);
  }

  private static double min(double[] x) {
    return java.util.Arrays.stream(x).min().orElse(Double.NaN);
  }

  private static double max(double[] x) {
    return java.util.Arrays.stream(x).max().orElse(Double.NaN);
  }
}
