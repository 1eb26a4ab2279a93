package org.tokenrl.trainer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.algorithms.CreditInput;
import org.tokenrl.algorithms.LossResult;
import org.tokenrl.algorithms.RlAlgorithm;
import org.tokenrl.algorithms.TokenCredit;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.TokenScores;
import org.tokenrl.model.UpdateStats;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rewards.RewardInput;
import org.tokenrl.rewards.RewardResult;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RowSeeds;
import org.tokenrl.rollout.Task;

/**
 * One RL step: sample, reward, advantages, update, sync, log. Every algorithm (GRPO, D³S, TEMPO,
 * ...) plugs in through {@link RlAlgorithm}: it turns rewards into per-token advantages and keep
 * masks, and its objective turns current log-probs into a loss and dloss/dlogp, which the policy
 * back-propagates exactly.
 */
public final class Trainer {
  private final Policy policy;
  private final Policy reference; // frozen; null when the algorithm uses no KL term
  private final RolloutPool pool;
  private final Task task;
  private final CompositeReward reward;
  private final RlAlgorithm algorithm;
  private final ExampleStream examples;
  private final PromptCodec codec;
  private final SamplingParams sampling;
  private final LearningRateSchedule schedule;
  private final int promptsPerStep;
  private final int groupSize;
  private final int totalSteps;
  private final long seed;
  private final String dynamicSampling;

  Trainer(
      Policy policy,
      Policy reference,
      RolloutPool pool,
      Task task,
      CompositeReward reward,
      RlAlgorithm algorithm,
      ExampleStream examples,
      PromptCodec codec,
      SamplingParams sampling,
      LearningRateSchedule schedule,
      int promptsPerStep,
      int groupSize,
      int totalSteps,
      long seed,
      String dynamicSampling) {
    this.policy = policy;
    this.reference = reference;
    this.pool = pool;
    this.task = task;
    this.reward = reward;
    this.algorithm = algorithm;
    this.examples = examples;
    this.codec = codec;
    this.sampling = sampling;
    this.schedule = schedule;
    this.promptsPerStep = promptsPerStep;
    this.groupSize = groupSize;
    this.totalSteps = totalSteps;
    this.seed = seed;
    this.dynamicSampling = dynamicSampling;
  }

  /** Runs RL step {@code step} (counting from 1 within the phase) and returns its metrics. */
  public Map<String, Double> step(long step) {
    PhaseTimer timer = new PhaseTimer();
    Map<String, Double> m = new HashMap<>();

    // 1. Sample G responses for each of B prompts with the current weights.
    List<Example> batchExamples = examples.batch(step, promptsPerStep);
    List<PromptRequest> requests = new ArrayList<>();
    for (Example ex : batchExamples) {
      requests.add(new PromptRequest(ex.id(), codec.prompt(ex.prompt()), ex.answer()));
    }
    try (RolloutBatch batch =
        pool.generate(requests, groupSize, sampling, RowSeeds.mix(seed * 1_000_003L + step))) {
      int[][] prompts = batch.allPromptIds();
      int[][] responses = batch.allResponseIds();
      boolean[] truncated = truncatedFlags(batch);
      double[][] logpOld = new double[batch.size()][];
      double[][] entropies = new double[batch.size()][];
      for (int i = 0; i < batch.size(); i++) {
        logpOld[i] = toDouble(batch.logprobs(i));
        entropies[i] = toDouble(batch.entropies(i));
      }
      timer.lap("rollout");

      // 2. Reward every response; the task's verifier also gives the step's accuracy.
      List<String> texts = new ArrayList<>(batch.size());
      boolean[] correct = new boolean[batch.size()];
      for (int i = 0; i < batch.size(); i++) {
        texts.add(codec.response(responses[i]));
        correct[i] = task.isCorrect(batchExamples.get(i / groupSize), texts.get(i));
      }
      RewardResult rewards = reward.score(rewardInput(batch, batchExamples, texts, truncated));
      batch.setRewards(rewards.total());
      timer.lap("reward");

      // 3. Advantages: per-token credit and keep masks from the algorithm.
      double progress = totalSteps <= 1 ? 1.0 : (double) (step - 1) / (totalSteps - 1);
      TokenCredit credit =
          algorithm
              .credit()
              .assign(
                  new CreditInput(
                      rewards.total(), responses, groupSize, truncated, entropies, progress));
      timer.lap("credit");

      // 4. Update: score under the current weights, loss and dloss/dlogp, one optimizer step;
      //    repeated for several updates per batch with the sampling log-probs as the old ones.
      //    With dynamic sampling, groups whose rewards are all equal (no signal) are left out.
      UpdateRows u = UpdateRows.select(dynamicSampling, rewards.total(), groupSize, prompts.length);
      double lr = schedule.at(step);
      policy.setLearningRate(lr);
      int[][] uPrompts = u.pick(prompts);
      int[][] uResponses = u.pick(responses);
      TokenCredit uCredit = u.pick(credit);
      double[][] uLogpOld = u.pick(logpOld);
      double[][] logpRef =
          reference == null || u.isEmpty()
              ? null
              : reference.score(uPrompts, uResponses, sampling.temperature()).logprobs();
      LossResult loss = null;
      UpdateStats update = null;
      int skipped = 0;
      for (int epoch = 0; epoch < algorithm.updatesPerBatch() && !u.isEmpty(); epoch++) {
        TokenScores now = policy.score(uPrompts, uResponses, sampling.temperature());
        loss =
            algorithm
                .objective()
                .compute(
                    uCredit.lossInput(
                        now.logprobs(), uLogpOld, logpRef, sampling.maxNewTokens()));
        update =
            policy.update(uPrompts, uResponses, loss.gradLogpNew(), null, sampling.temperature());
        if (update.skipped()) {
          skipped++;
        }
      }
      timer.lap("update");

      // 5. Sync the new weights to the rollout workers.
      pool.syncWeights(step, policy.exportWeights());
      timer.lap("sync");

      // 6. Log.
      double[] r = rewards.total();
      m.put("train/reward_mean", Stats.mean(r));
      m.put("train/reward_std", Stats.std(r));
      m.put("train/accuracy", fraction(correct));
      m.put("train/truncated_frac", fraction(truncated));
      m.put("rollout/response_len_mean", meanLength(responses));
      m.put("actor/entropy", meanOf(entropies));
      m.put("train/update_row_frac", (double) u.size() / prompts.length);
      if (loss != null) {
        m.put("actor/loss", loss.loss());
        m.putAll(loss.metrics());
      }
      m.putAll(credit.metrics());
      m.putAll(rewards.metrics());
      m.putAll(pool.metrics());
      m.put("optim/lr", lr);
      m.put("optim/grad_norm", update == null ? Double.NaN : update.gradNorm());
      m.put("optim/skipped", (double) skipped);
      long tokens = batch.totalResponseTokens();
      m.put("perf/tokens_per_sec", tokens / timer.totalSeconds());
      m.put("perf/rollout_tokens", (double) tokens);
      timer.addTo(m);
      return m;
    }
  }

  private RewardInput rewardInput(
      RolloutBatch batch, List<Example> batchExamples, List<String> texts, boolean[] truncated) {
    List<String> promptTexts = new ArrayList<>(batch.size());
    List<String> references = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Example ex = batchExamples.get(i / groupSize);
      promptTexts.add(ex.prompt());
      references.add(ex.answer());
    }
    return new RewardInput(
        groupSize,
        batch.allPromptIds(),
        batch.allResponseIds(),
        promptTexts,
        texts,
        references,
        truncated,
        (row, text) -> task.isCorrect(batchExamples.get(row / groupSize), text));
  }

  private static boolean[] truncatedFlags(RolloutBatch batch) {
    boolean[] t = new boolean[batch.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = batch.truncated(i);
    }
    return t;
  }

  private static double[] toDouble(float[] x) {
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i];
    }
    return out;
  }

  private static double fraction(boolean[] flags) {
    int n = 0;
    for (boolean f : flags) {
      n += f ? 1 : 0;
    }
    return flags.length == 0 ? Double.NaN : (double) n / flags.length;
  }

  private static double meanLength(int[][] rows) {
    double s = 0;
    for (int[] row : rows) {
      s += row.length;
    }
    return rows.length == 0 ? Double.NaN : s / rows.length;
  }

  private static double meanOf(double[][] rows) {
    double s = 0;
    long n = 0;
    for (double[] row : rows) {
      for (double v : row) {
        s += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }
}
