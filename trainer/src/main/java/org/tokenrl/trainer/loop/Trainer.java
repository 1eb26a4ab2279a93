package org.tokenrl.trainer.loop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.LossResult;
import org.tokenrl.algorithms.rl.CreditInput;
import org.tokenrl.algorithms.rl.DynamicSampling;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.Policy;
import org.tokenrl.model.ReferenceScorer;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.TokenScores;
import org.tokenrl.model.UpdateStats;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rewards.RewardInput;
import org.tokenrl.rewards.RewardResult;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.PendingBatch;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RowSeeds;
import org.tokenrl.rollout.Task;
import org.tokenrl.runlog.PhaseTimer;
import org.tokenrl.runlog.Stats;
import org.tokenrl.trainer.setup.PromptCodec;

/**
 * One RL step: sample, reward, advantages, update, sync, log. Every algorithm (GRPO, D³S, TEMPO,
 * ...) plugs in through {@link RlAlgorithm}: it turns rewards into per-token advantages and keep
 * masks, and its objective turns current log-probs into a loss and dloss/dlogp, which the policy
 * back-propagates exactly.
 */
public final class Trainer {

  /**
   * What an RL step works with.
   *
   * @param policy the trained policy
   * @param reference frozen start policy for the KL term; null when the algorithm has none
   * @param pool samples G responses per prompt (in-process threads or Ray actors)
   * @param task prompts, answers and the verifier behind train/accuracy
   * @param reward the composite reward of the {@code rewards} block
   * @param algorithm credit rule and objective (grpo, tempo, d3s)
   * @param examples the training prompts, in a seeded order
   * @param codec text to token ids and back
   */
  record Parts(
      Policy policy,
      ReferenceScorer reference,
      RolloutPool pool,
      Task task,
      CompositeReward reward,
      RlAlgorithm algorithm,
      ExampleStream<Example> examples,
      PromptCodec codec) {}

  /**
   * The settings an RL step follows, read from the run config.
   *
   * @param promptsPerStep B, prompts per step (trainer.prompts_per_step)
   * @param groupSize G, responses per prompt (trainer.group_size)
   * @param totalSteps steps of the RL phase (trainer.steps), for the D³S schedule's progress
   * @param seed run.seed; each step's sampling seed derives from it
   * @param dynamicSampling off, drop or refill (trainer.dynamic_sampling)
   * @param maxSamplingRounds refill's limit on sampling rounds (trainer.max_sampling_rounds)
   * @param async sample the next step during this step's update (distributed.async)
   * @param sampling temperature, top-k/p, response length (rollout.*)
   * @param schedule learning rate per step (trainer.learning_rate, warmup_steps, lr_schedule)
   * @param checkpointAfter whether the run checkpoints after a step (by RL-phase step); async
   *     sampling never reaches across one, so a resumed run equals an uninterrupted one
   */
  record Settings(
      int promptsPerStep,
      int groupSize,
      int totalSteps,
      long seed,
      String dynamicSampling,
      int maxSamplingRounds,
      boolean async,
      SamplingParams sampling,
      LearningRateSchedule schedule,
      LongPredicate checkpointAfter) {
    Settings {
      if (!List.of("off", "drop", "refill").contains(dynamicSampling)) {
        throw new IllegalArgumentException(
            "trainer.dynamic_sampling must be off, drop or refill, got '" + dynamicSampling + "'");
      }
      if (maxSamplingRounds < 1) {
        throw new IllegalArgumentException(
            "trainer.max_sampling_rounds must be >= 1, got " + maxSamplingRounds);
      }
    }
  }

  private final Policy policy;
  private final ReferenceScorer reference; // frozen; null when the algorithm uses no KL term
  private final RolloutPool pool;
  private final Task task;
  private final CompositeReward reward;
  private final RlAlgorithm algorithm;
  private final ExampleStream<Example> examples;
  private final PromptCodec codec;
  private final SamplingParams sampling;
  private final LearningRateSchedule schedule;
  private final int promptsPerStep;
  private final int groupSize;
  private final int totalSteps;
  private final long seed;
  private final String dynamicSampling;
  private final int maxSamplingRounds;
  private final boolean async;
  private final LongPredicate checkpointAfter; // by phase step
  // distributed.async: the next step's first batch, started before this step's update.
  private PendingBatch next;
  private long nextStep = -1;
  // The last step's update batch and its credit, for the TEXT tab's rollout table.
  private ScoredRollouts lastBatch;
  private TokenCredit lastCredit;

  Trainer(Parts parts, Settings settings) {
    this.policy = parts.policy();
    this.reference = parts.reference();
    this.pool = parts.pool();
    this.task = parts.task();
    this.reward = parts.reward();
    this.algorithm = parts.algorithm();
    this.examples = parts.examples();
    this.codec = parts.codec();
    this.sampling = settings.sampling();
    this.schedule = settings.schedule();
    this.promptsPerStep = settings.promptsPerStep();
    this.groupSize = settings.groupSize();
    this.totalSteps = settings.totalSteps();
    this.seed = settings.seed();
    this.dynamicSampling = settings.dynamicSampling();
    this.maxSamplingRounds = settings.maxSamplingRounds();
    this.async = settings.async();
    this.checkpointAfter = settings.checkpointAfter();
  }

  /** Runs RL step {@code step} (counting from 1 within the phase) and returns its metrics. */
  public Map<String, Double> step(long step) {
    PhaseTimer timer = new PhaseTimer();
    Map<String, Double> m = new HashMap<>();

    // 1-2. Sample G responses for each of B prompts with the current weights and reward them.
    //      With dynamic_sampling = refill, groups whose rewards are all equal carry no signal:
    //      sample further rounds of fresh prompts until B groups have signal (DAPO).
    //      With distributed.async the first round was started during the previous step, before
    //      its update: it was sampled one weight version behind (off-policy by one step; the
    //      clipped ratio against its sampling log-probs corrects for that).
    long stepSeed = stepSeed(step);
    List<Example> firstExamples = examples.batch(step, promptsPerStep);
    PendingBatch first;
    double staleness = 0;
    if (next != null && nextStep == step) {
      first = next;
      staleness = 1;
    } else {
      first = pool.start(requests(firstExamples), groupSize, sampling, stepSeed);
    }
    next = null;
    ScoredRollouts sampled = sampleAndReward(firstExamples, first, timer);
    ScoredRollouts train = sampled;
    if (dynamicSampling.equals("refill")) {
      List<ScoredRollouts> rounds = new ArrayList<>(List.of(sampled));
      List<ScoredRollouts> kept = new ArrayList<>(List.of(withSignal(sampled, promptsPerStep)));
      int have = kept.get(0).groups();
      for (int round = 1; have < promptsPerStep && round < maxSamplingRounds; round++) {
        List<Example> extra = examples.extraBatch(step, round, promptsPerStep);
        ScoredRollouts more =
            sampleAndReward(
                extra,
                pool.start(requests(extra), groupSize, sampling, RowSeeds.mix(stepSeed + round)),
                timer);
        rounds.add(more);
        ScoredRollouts k = withSignal(more, promptsPerStep - have);
        kept.add(k);
        have += k.groups();
      }
      sampled = ScoredRollouts.concat(rounds);
      train = ScoredRollouts.concat(kept);
      m.put("dynamic/rounds", (double) rounds.size());
      m.put("dynamic/kept_groups", (double) have);
      m.put("dynamic/sampled_groups", (double) sampled.groups());
    }

    if (async && step < totalSteps && !checkpointAfter.test(step)) {
      // The rollout workers sample the next step while this one computes credit and updates.
      // Not across a checkpoint: a run resumed there samples its next step with the saved
      // weights, and so does this one, so resume stays exact.
      List<Example> upcoming = examples.batch(step + 1, promptsPerStep);
      next = pool.start(requests(upcoming), groupSize, sampling, stepSeed(step + 1));
      nextStep = step + 1;
    }
    m.put("distributed/weight_staleness", staleness);

    // 3. Advantages: per-token credit and keep masks from the algorithm.
    double progress = totalSteps <= 1 ? 1.0 : (double) (step - 1) / (totalSteps - 1);
    TokenCredit credit =
        algorithm
            .credit()
            .assign(
                new CreditInput(
                    train.rewards(),
                    train.responses(),
                    groupSize,
                    train.truncated(),
                    train.entropies(),
                    progress));
    timer.lap("credit");
    lastBatch = train;
    lastCredit = credit;

    // 4. Update: score under the current weights, loss and dloss/dlogp, one optimizer step;
    //    repeated for several updates per batch with the sampling log-probs as the old ones.
    //    With dynamic_sampling = drop, groups whose rewards are all equal are left out.
    UpdateRows u =
        UpdateRows.select(
            dynamicSampling.equals("drop") ? "drop" : "off",
            train.rewards(),
            groupSize,
            train.rows());
    double lr = schedule.at(step);
    policy.setLearningRate(lr);
    int[][] uPrompts = u.pick(train.prompts());
    int[][] uResponses = u.pick(train.responses());
    TokenCredit uCredit = u.pick(credit);
    double[][] uLogpOld = u.pick(train.logpOld());
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
                  uCredit.lossInput(now.logprobs(), uLogpOld, logpRef, sampling.maxNewTokens()));
      update =
          policy.update(uPrompts, uResponses, loss.gradLogpNew(), null, sampling.temperature());
      if (update.skipped()) {
        skipped++;
      }
    }
    timer.lap("update");

    // 5. Sync the new weights to the rollout workers.
    pool.syncWeights(step, policy.weightsToSync());
    timer.lap("sync");

    // 6. Log: rewards and accuracy over everything sampled this step, credit over what trained.
    double[] r = sampled.rewards();
    m.put("train/reward_mean", Stats.mean(r));
    m.put("train/reward_std", Stats.std(r));
    m.put("train/accuracy", fraction(sampled.correct()));
    m.put("train/truncated_frac", fraction(sampled.truncated()));
    m.put("rollout/response_len_mean", meanLength(sampled.responses()));
    m.put("actor/entropy", meanOf(sampled.entropies()));
    m.put("train/update_row_frac", (double) u.size() / sampled.rows());
    if (loss != null) {
      m.put("actor/loss", loss.loss());
      m.putAll(loss.metrics());
    }
    m.putAll(credit.metrics());
    m.putAll(sampled.rewardMetrics());
    m.putAll(pool.metrics());
    m.put("optim/lr", lr);
    m.put("optim/grad_norm", update == null ? Double.NaN : update.gradNorm());
    m.put("optim/skipped", (double) skipped);
    m.put("perf/tokens_per_sec", sampled.tokens() / timer.totalSeconds());
    m.put("perf/rollout_tokens", (double) sampled.tokens());
    timer.addTo(m);
    return m;
  }

  /** The last step's update batch as a markdown table of its first rows (TEXT tab). */
  String lastSamples(SampleTable table) {
    if (lastBatch == null) {
      return "";
    }
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < lastBatch.rows(); i++) {
      prompts.add(lastBatch.examples().get(i / groupSize).prompt());
    }
    return table.rollouts(
        prompts, lastBatch.responses(), lastBatch.rewards(), lastCredit, codec.tokenizer());
  }

  /** At most {@code maxGroups} of the groups whose rewards are not all equal. */
  private ScoredRollouts withSignal(ScoredRollouts s, int maxGroups) {
    return s.keepGroups(DynamicSampling.keepGroups(s.rewards(), groupSize), maxGroups);
  }

  private long stepSeed(long step) {
    return RowSeeds.mix(seed * 1_000_003L + step);
  }

  private List<PromptRequest> requests(List<Example> batchExamples) {
    List<PromptRequest> requests = new ArrayList<>();
    for (Example ex : batchExamples) {
      requests.add(new PromptRequest(ex.id(), codec.prompt(ex), ex.answer()));
    }
    return requests;
  }

  /**
   * One sampling round: G responses per example from the pool, then the composite reward (computed
   * here, or already by the pool's actors when {@link RolloutPool#computesRewards()}).
   */
  private ScoredRollouts sampleAndReward(
      List<Example> batchExamples, PendingBatch pending, PhaseTimer timer) {
    try (RolloutBatch batch = pending.await()) {
      int n = batch.size();
      int[][] responses = batch.allResponseIds();
      boolean[] truncated = truncatedFlags(batch);
      double[][] logpOld = new double[n][];
      double[][] entropies = new double[n][];
      for (int i = 0; i < n; i++) {
        logpOld[i] = toDouble(batch.logprobs(i));
        entropies[i] = toDouble(batch.entropies(i));
      }
      timer.lap("rollout");

      // The task's verifier also gives the step's accuracy.
      List<String> texts = new ArrayList<>(n);
      boolean[] correct = new boolean[n];
      for (int i = 0; i < n; i++) {
        texts.add(codec.response(responses[i]));
        correct[i] = task.isCorrect(batchExamples.get(i / groupSize), texts.get(i));
      }
      double[] totals;
      Map<String, Double> rewardMetrics;
      if (pool.computesRewards()) {
        // distributed.rewards_on = actors: the actors filled the reward column with the same
        // composite reward and sent each component's scores, so the metrics are the same too.
        totals = batch.rewards();
        rewardMetrics = pool.lastRewardMetrics();
      } else {
        RewardResult rewards = reward.score(rewardInput(batch, batchExamples, texts, truncated));
        batch.setRewards(rewards.total());
        totals = rewards.total();
        rewardMetrics = rewards.metrics();
      }
      timer.lap("reward");
      return new ScoredRollouts(
          groupSize,
          batchExamples,
          batch.allPromptIds(),
          responses,
          logpOld,
          entropies,
          truncated,
          correct,
          totals,
          rewardMetrics,
          batch.totalResponseTokens());
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
        (row, text) -> task.isCorrect(batchExamples.get(row / groupSize), text),
        codec.tokenizer()::encodePlain);
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
