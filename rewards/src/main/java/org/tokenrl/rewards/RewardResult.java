package org.tokenrl.rewards;

import java.util.Map;

/**
 * The composite reward of one batch.
 *
 * @param total weighted sum per row, always finite
 * @param components each component's unweighted scores per row, keyed by component name in config
 *     order (a failed sample scores 0 under {@code on_error = zero})
 * @param tokenRewards per-token weighted sum {@code [N][len_i]}, each row summing to {@code
 *     total[i]}; null when no component returns per-token rewards
 * @param errors samples scored 0 because a component failed on them (summed over components)
 * @param metrics {@code reward/<component>_mean}, {@code reward/errors} and the extra {@code
 *     reward/<component>/<key>} means
 * @param extraRows the values behind each extra {@code reward/<component>/<key>} metric, one per
 *     row (NaN where a row has none), so that slices scored apart (Ray actors) log the same mean
 */
public record RewardResult(
    double[] total,
    Map<String, double[]> components,
    double[][] tokenRewards,
    int errors,
    Map<String, Double> metrics,
    Map<String, double[]> extraRows) {

  /** Without extra per-row metrics. */
  public RewardResult(
      double[] total,
      Map<String, double[]> components,
      double[][] tokenRewards,
      int errors,
      Map<String, Double> metrics) {
    this(total, components, tokenRewards, errors, metrics, Map.of());
  }
}
