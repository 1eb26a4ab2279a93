package org.tokenrl.trainer.loop;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.algorithms.preference.PairLossInput;
import org.tokenrl.algorithms.preference.PairLossResult;
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.core.Metrics;
import org.tokenrl.model.Policy;
import org.tokenrl.model.UpdateStats;
import org.tokenrl.runlog.PhaseTimer;
import org.tokenrl.trainer.preference.CandidatePair;
import org.tokenrl.trainer.preference.PreferenceData;

/**
 * One preference step (DPO, T-REG, cDPO): score a batch of pairs under the current policy, let the
 * algorithm's loss give dLoss/dlogp for every chosen and rejected token, and back-propagate both in
 * one update. Reference log-probs and token weights come precomputed with the pairs.
 */
final class PreferenceTrainer {
  private final Policy policy;
  private final PreferenceAlgorithm algorithm;
  private final PreferenceData data;
  private final ExampleStream<Integer> order;
  private final int batchPairs;
  private final LearningRateSchedule schedule;

  PreferenceTrainer(
      Policy policy,
      PreferenceAlgorithm algorithm,
      PreferenceData data,
      int batchPairs,
      LearningRateSchedule schedule,
      long seed) {
    if (batchPairs < 1) {
      throw new IllegalArgumentException("preference.batch_pairs must be >= 1, got " + batchPairs);
    }
    this.policy = policy;
    this.algorithm = algorithm;
    this.data = data;
    this.batchPairs = batchPairs;
    this.schedule = schedule;
    List<Integer> rows = new java.util.ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      rows.add(i);
    }
    this.order = new ExampleStream<>(rows, seed);
  }

  /** One optimizer step on the pairs of {@code phaseStep} (counting from 1). */
  Map<String, Double> step(long phaseStep) {
    PhaseTimer timer = new PhaseTimer();
    List<Integer> batch = order.batch(phaseStep, Math.min(batchPairs, data.size()));
    int b = batch.size();
    // Rows 0..b-1 are the chosen responses, b..2b-1 the rejected ones (one forward pass).
    int[][] prompts = new int[2 * b][];
    int[][] responses = new int[2 * b][];
    int[] promptLengths = new int[b];
    long tokens = 0;
    for (int j = 0; j < b; j++) {
      CandidatePair p = data.pairs().get(batch.get(j));
      prompts[j] = p.prompt();
      prompts[b + j] = p.prompt();
      responses[j] = p.chosen();
      responses[b + j] = p.rejected();
      promptLengths[j] = p.prompt().length;
      tokens += 2L * p.prompt().length + p.chosen().length + p.rejected().length;
    }
    double[][] logp = policy.score(prompts, responses, 1.0).logprobs();
    PairLossInput input =
        new PairLossInput(
            java.util.Arrays.copyOfRange(logp, 0, b),
            java.util.Arrays.copyOfRange(logp, b, 2 * b),
            pick(data.refChosen(), batch),
            pick(data.refRejected(), batch),
            algorithm.needsTokenRewards() ? pick(data.tokenRewardChosen(), batch) : null,
            algorithm.needsTokenRewards() ? pick(data.tokenRewardRejected(), batch) : null,
            null,
            algorithm.needsCriticalWeights() ? pick(data.tokenWeightRejected(), batch) : null,
            algorithm.needsPromptLengths() ? promptLengths : null);
    PairLossResult loss = algorithm.objective().compute(input);
    timer.lap("loss");

    double[][] coef = new double[2 * b][];
    System.arraycopy(loss.gradChosen(), 0, coef, 0, b);
    System.arraycopy(loss.gradRejected(), 0, coef, b, b);
    double lr = schedule.at(phaseStep);
    policy.setLearningRate(lr);
    UpdateStats update = policy.update(prompts, responses, coef, null, 1.0);
    timer.lap("update");

    Map<String, Double> m = new HashMap<>(loss.metrics());
    m.put(Metrics.ACTOR_LOSS, loss.loss());
    m.put(Metrics.PREF_PAIRS, (double) b);
    m.put(Metrics.OPTIM_LR, lr);
    m.put(Metrics.OPTIM_GRAD_NORM, update.gradNorm());
    m.put(Metrics.OPTIM_SKIPPED, update.skipped() ? 1.0 : 0.0);
    m.put(Metrics.PERF_TOKENS_PER_SEC, tokens / timer.totalSeconds());
    timer.addTo(m);
    return m;
  }

  private static double[][] pick(double[][] rows, List<Integer> batch) {
    double[][] out = new double[batch.size()][];
    for (int j = 0; j < out.length; j++) {
      out[j] = rows[batch.get(j)];
    }
    return out;
  }
}
