package org.tokenrl.trainer.loop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.rollout.Example;

/**
 * Sampled and rewarded rollouts as plain arrays, rows group-major (row {@code p * G + k} is the
 * k-th response to {@code examples.get(p)}). Plain arrays rather than the Arrow batch because
 * dynamic sampling stitches groups from several sampling rounds into one update batch.
 *
 * @param rewards the composite reward per row
 * @param tokenRewards the composite reward's per-token split, [N][len_i]; a row is null when its
 *     round's reward emitted none
 * @param lossMask per token, true where the policy wrote it (false on a multi-turn rollout's
 *     environment tokens), [N][len_i]
 * @param rewardMetrics the reward function's {@code reward/...} metrics for these rows
 * @param tokens response tokens generated (every row, kept or not)
 * @param componentScores each reward component's unweighted score per row, [N][components]; a row
 *     is null when the rollout actors scored it (they send only the means)
 */
record ScoredRollouts(
    int groupSize,
    List<Example> examples,
    int[][] prompts,
    int[][] responses,
    double[][] logpOld,
    double[][] entropies,
    boolean[] truncated,
    boolean[] correct,
    double[] rewards,
    double[][] tokenRewards,
    boolean[][] lossMask,
    Map<String, Double> rewardMetrics,
    long tokens,
    double[][] componentScores) {

  int rows() {
    return responses.length;
  }

  int groups() {
    return examples.size();
  }

  /**
   * The per-token rewards, [N][len_i], or null when no row has any. A row without them (its
   * sampling round's reward emitted none) gets the composite reward's own placement: its whole
   * reward on the last token.
   */
  double[][] tokenRewardsOrNull() {
    boolean any = false;
    for (double[] row : tokenRewards) {
      any |= row != null;
    }
    if (!any) {
      return null;
    }
    double[][] out = new double[rows()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = tokenRewards[i];
      if (out[i] == null) {
        out[i] = new double[responses[i].length];
        if (out[i].length > 0) {
          out[i][out[i].length - 1] = rewards[i];
        }
      }
    }
    return out;
  }

  /** The groups flagged in {@code keep}, in order, at most {@code maxGroups} of them. */
  ScoredRollouts keepGroups(boolean[] keep, int maxGroups) {
    List<Integer> groupsKept = new ArrayList<>();
    for (int g = 0; g < keep.length && groupsKept.size() < maxGroups; g++) {
      if (keep[g]) {
        groupsKept.add(g);
      }
    }
    int n = groupsKept.size() * groupSize;
    ScoredRollouts out = empty(n);
    int j = 0;
    for (int g : groupsKept) {
      out.examples.add(examples.get(g));
      for (int k = 0; k < groupSize; k++, j++) {
        out.copyRow(j, this, g * groupSize + k);
      }
    }
    return out;
  }

  /**
   * The rows of {@code parts} one after another. Reward metrics are averaged over rows (each is a
   * mean), except counts ({@code reward/errors}), which add up; tokens add up.
   */
  static ScoredRollouts concat(List<ScoredRollouts> parts) {
    int n = parts.stream().mapToInt(ScoredRollouts::rows).sum();
    ScoredRollouts first = parts.get(0);
    ScoredRollouts out = first.empty(n);
    Map<String, Double> metrics = out.rewardMetrics;
    long tokens = 0;
    int j = 0;
    for (ScoredRollouts part : parts) {
      out.examples.addAll(part.examples);
      for (int i = 0; i < part.rows(); i++, j++) {
        out.copyRow(j, part, i);
      }
      for (var e : part.rewardMetrics.entrySet()) {
        double w = e.getKey().endsWith("errors") || n == 0 ? 1.0 : (double) part.rows() / n;
        metrics.merge(e.getKey(), w * e.getValue(), Double::sum);
      }
      tokens += part.tokens;
    }
    return new ScoredRollouts(
        out.groupSize,
        out.examples,
        out.prompts,
        out.responses,
        out.logpOld,
        out.entropies,
        out.truncated,
        out.correct,
        out.rewards,
        out.tokenRewards,
        out.lossMask,
        metrics,
        tokens,
        out.componentScores);
  }

  private ScoredRollouts empty(int n) {
    return new ScoredRollouts(
        groupSize,
        new ArrayList<>(),
        new int[n][],
        new int[n][],
        new double[n][],
        new double[n][],
        new boolean[n],
        new boolean[n],
        new double[n],
        new double[n][],
        new boolean[n][],
        new LinkedHashMap<>(),
        0,
        new double[n][]);
  }

  private void copyRow(int to, ScoredRollouts from, int row) {
    prompts[to] = from.prompts[row];
    responses[to] = from.responses[row];
    logpOld[to] = from.logpOld[row];
    entropies[to] = from.entropies[row];
    truncated[to] = from.truncated[row];
    correct[to] = from.correct[row];
    rewards[to] = from.rewards[row];
    tokenRewards[to] = from.tokenRewards[row];
    componentScores[to] = from.componentScores[row];
    lossMask[to] = from.lossMask[row];
  }
}
