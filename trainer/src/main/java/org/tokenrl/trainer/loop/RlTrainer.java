package org.tokenrl.trainer.loop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import org.tokenrl.algorithms.rl.DynamicSampling;
import org.tokenrl.algorithms.rl.LossResult;
import org.tokenrl.algorithms.rl.PolicyLossInput;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.rl.RlBatch;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.Policy;
import org.tokenrl.model.ReferenceScorer;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.UpdateObjective;
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
 * One RL step: generate → score → credit and loss → update → log. Every algorithm (GRPO, TEMPO,
 * D³S, ...) plugs in through {@link RlAlgorithm}: {@code credit(batch)} turns the scored batch into
 * per-token advantages and keep masks, {@code loss(input)} turns the current log-probs into a loss
 * and dloss/dlogp, which the policy back-propagates exactly. The trainer never asks which algorithm
 * it runs.
 *
 * <p>{@link #step} is the table of contents; each phase is one private method below it, in order.
 * (About 450 lines: the step's records and the reward input sit beside the phases so that one file
 * holds the whole step.)
 */
public final class RlTrainer {

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
   * @param dynamicSampling trainer.dynamic_sampling
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
      DynamicSampling.Mode dynamicSampling,
      int maxSamplingRounds,
      boolean async,
      SamplingParams sampling,
      LearningRateSchedule schedule,
      LongPredicate checkpointAfter) {
    Settings {
      if (maxSamplingRounds < 1) {
        throw new IllegalArgumentException(
            "trainer.max_sampling_rounds must be >= 1, got " + maxSamplingRounds);
      }
    }
  }

  /**
   * What one step returns.
   *
   * @param metrics the step's metrics
   * @param trained the rows credit was assigned to (after refill), for the TEXT tab's rollout table
   * @param credit their advantages and keep masks
   */
  record StepResult(Map<String, Double> metrics, ScoredRollouts trained, TokenCredit credit) {

    /**
     * The update batch as a markdown table of its first rows (TEXT tab), each prompt as the model
     * was asked it (chat instruction included), marking rows left out of the update.
     */
    String rolloutTable(SampleTable table, PromptCodec codec, DynamicSampling.Mode mode) {
      List<String> prompts = new ArrayList<>();
      for (int i = 0; i < trained.rows(); i++) {
        prompts.add(codec.promptText(trained.examples().get(i / trained.groupSize())));
      }
      return table.rollouts(
          prompts,
          trained.responses(),
          trained.rewards(),
          credit,
          codec.tokenizer(),
          RolloutArchive.inUpdate(trained, mode),
          trained.truncated(),
          trained.lossMask());
    }
  }

  /**
   * The rollouts of one step.
   *
   * @param sampled every row sampled this step (all refill rounds)
   * @param train the rows that train: all of them, or under refill the groups with signal
   * @param metrics {@code dynamic/*} under refill
   */
  private record Rollouts(
      ScoredRollouts sampled, ScoredRollouts train, Map<String, Double> metrics) {}

  /**
   * What the update did.
   *
   * @param rows rows that entered it
   * @param loss the last epoch's loss; null when no row did
   * @param stats the last epoch's optimizer step; null when no row did
   */
  private record Update(int rows, double lr, LossResult loss, UpdateStats stats, int skipped) {}

  private final Parts parts;
  private final Settings settings;
  // distributed.async: the next step's first batch, started before this step's update.
  private PendingBatch next;
  private long nextStep = -1;

  RlTrainer(Parts parts, Settings settings) {
    this.parts = parts;
    this.settings = settings;
  }

  /** Runs RL step {@code step} (counting from 1 within the phase). */
  public StepResult step(long step) {
    PhaseTimer timer = new PhaseTimer();
    double staleness = next != null && nextStep == step ? 1 : 0; // sampled during the last update
    Rollouts rollouts = generateAndScore(step, timer); // 1-2. generate, score (reward)
    sampleAhead(step); // distributed.async: the next step's rollouts start now
    TokenCredit credit = credit(rollouts.train(), step, timer); // 3. algorithm.credit(batch)
    Update update = update(step, rollouts.train(), credit, timer); // 4. algorithm.loss, update
    parts.pool().syncWeights(step, parts.policy().weightsToSync()); // 5. weights to the workers
    timer.lap("sync");
    Map<String, Double> metrics = log(rollouts, staleness, credit, update, timer); // 6. log
    return new StepResult(metrics, rollouts.train(), credit);
  }

  /**
   * 1-2. Samples G responses for each of B prompts with the current weights and rewards them. With
   * dynamic_sampling = refill, groups whose rewards are all equal carry no signal: further rounds
   * of fresh prompts are sampled until B groups have signal (DAPO). With distributed.async the
   * first round was started during the previous step, before its update: it was sampled one weight
   * version behind (off-policy by one step; the clipped ratio against its sampling log-probs
   * corrects for that).
   */
  private Rollouts generateAndScore(long step, PhaseTimer timer) {
    int b = settings.promptsPerStep();
    List<Example> firstExamples = parts.examples().batch(step, b);
    PendingBatch first =
        next != null && nextStep == step ? next : generate(firstExamples, stepSeed(step));
    next = null;
    ScoredRollouts sampled = score(firstExamples, first, timer);
    if (settings.dynamicSampling() != DynamicSampling.Mode.REFILL) {
      return new Rollouts(sampled, sampled, Map.of());
    }
    List<ScoredRollouts> rounds = new ArrayList<>(List.of(sampled));
    List<ScoredRollouts> kept = new ArrayList<>(List.of(withSignal(sampled, b)));
    int have = kept.get(0).groups();
    for (int round = 1; have < b && round < settings.maxSamplingRounds(); round++) {
      List<Example> extra = parts.examples().extraBatch(step, round, b);
      ScoredRollouts more =
          score(extra, generate(extra, RowSeeds.mix(stepSeed(step) + round)), timer);
      rounds.add(more);
      ScoredRollouts k = withSignal(more, b - have);
      kept.add(k);
      have += k.groups();
    }
    ScoredRollouts all = ScoredRollouts.concat(rounds);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put(Metrics.DYNAMIC_ROUNDS, (double) rounds.size());
    metrics.put(Metrics.DYNAMIC_KEPT_GROUPS, (double) have);
    metrics.put(Metrics.DYNAMIC_SAMPLED_GROUPS, (double) all.groups());
    return new Rollouts(all, ScoredRollouts.concat(kept), metrics);
  }

  /**
   * distributed.async: the rollout workers sample the next step while this one computes credit and
   * updates. Not across a checkpoint: a run resumed there samples its next step with the saved
   * weights, and so does this one, so resume stays exact.
   */
  private void sampleAhead(long step) {
    if (settings.async()
        && step < settings.totalSteps()
        && !settings.checkpointAfter().test(step)) {
      List<Example> upcoming = parts.examples().batch(step + 1, settings.promptsPerStep());
      next = generate(upcoming, stepSeed(step + 1));
      nextStep = step + 1;
    }
  }

  /** 3. Per-token credit and keep masks from the algorithm, on every training row. */
  private TokenCredit credit(ScoredRollouts train, long step, PhaseTimer timer) {
    int total = settings.totalSteps();
    double progress = total <= 1 ? 1.0 : (double) (step - 1) / (total - 1);
    RlBatch batch =
        new RlBatch(
            train.rewards(),
            train.responses(),
            settings.groupSize(),
            train.truncated(),
            train.entropies(),
            train.tokenRewardsOrNull(),
            train.lossMask(), // false on a multi-turn rollout's environment tokens
            progress);
    TokenCredit credit = parts.algorithm().credit(batch);
    credit.requireWithin(batch.lossMask(), parts.algorithm().name());
    timer.lap("credit");
    return credit;
  }

  /**
   * 4. Scores the rows under the current weights, takes the algorithm's loss and dloss/dlogp and
   * makes one optimizer step, in one forward pass ({@link Policy#update(int[][], int[][], double,
   * UpdateObjective)}: the loss runs between forward and backward); repeated for each update epoch
   * with the sampling log-probs as the old ones. With dynamic_sampling = drop, groups whose rewards
   * are all equal are left out. The loss also gets the same pass's token entropies: with {@code
   * algorithm.entropy_coef > 0} it returns dLoss/dH, which the update pushes through the logits
   * (docs/entropy-bonus.md); otherwise it ignores them and the update is the plain one.
   */
  private Update update(long step, ScoredRollouts train, TokenCredit credit, PhaseTimer timer) {
    RlAlgorithm algorithm = parts.algorithm();
    Policy policy = parts.policy();
    double temperature = settings.sampling().temperature();
    UpdateRows.Batch u =
        UpdateRows.select(settings.dynamicSampling(), train.rewards(), settings.groupSize())
            .pick(train, credit);
    double lr = settings.schedule().at(step);
    policy.setLearningRate(lr);
    double[][] logpRef =
        parts.reference() == null || u.isEmpty()
            ? null
            : parts.reference().score(u.prompts(), u.responses(), temperature).logprobs();
    LossResult loss = null;
    UpdateStats stats = null;
    int skipped = 0;
    int maxLen = settings.sampling().maxNewTokens();
    for (int epoch = 0; epoch < algorithm.updatesPerBatch() && !u.isEmpty(); epoch++) {
      // one forward pass: the loss (and its ratio/disagreement metrics) sees that pass's logp_new
      LossResult[] epochLoss = new LossResult[1];
      stats =
          policy.update(
              u.prompts(),
              u.responses(),
              temperature,
              current -> {
                PolicyLossInput input =
                    u.credit().lossInput(current.logprobs(), u.logpOld(), logpRef, maxLen);
                epochLoss[0] = algorithm.loss(input.withEntropies(current.entropies()));
                // gradEntropy is null without an entropy bonus
                return new UpdateObjective.Coefficients(
                    epochLoss[0].gradLogpNew(), epochLoss[0].gradEntropy());
              });
      loss = epochLoss[0];
      skipped += stats.skipped() ? 1 : 0;
    }
    timer.lap("update");
    return new Update(u.size(), lr, loss, stats, skipped);
  }

  /** 6. Rewards and accuracy over everything sampled this step, credit over what trained. */
  private Map<String, Double> log(
      Rollouts rollouts, double staleness, TokenCredit credit, Update update, PhaseTimer timer) {
    ScoredRollouts sampled = rollouts.sampled();
    Map<String, Double> m = new HashMap<>(rollouts.metrics());
    m.put(Metrics.DISTRIBUTED_WEIGHT_STALENESS, staleness);
    double[] r = sampled.rewards();
    m.put(Metrics.TRAIN_REWARD_MEAN, Stats.mean(r));
    m.put(Metrics.TRAIN_REWARD_STD, Stats.std(r));
    m.put(Metrics.TRAIN_ACCURACY, fraction(sampled.correct()));
    m.putAll(CompletionStats.of(sampled.responses(), sampled.truncated(), r, settings.groupSize()));
    m.put(
        Metrics.ACTOR_ENTROPY, MultiTurnScores.policyMean(sampled.entropies(), sampled.lossMask()));
    m.put(Metrics.TRAIN_UPDATE_ROW_FRAC, (double) update.rows() / sampled.rows());
    if (update.loss() != null) {
      m.put(Metrics.ACTOR_LOSS, update.loss().loss());
      m.putAll(update.loss().metrics());
    }
    m.putAll(credit.metrics());
    m.putAll(OnceNamed.rewardMetrics(sampled.rewardMetrics(), parts.reward()));
    m.putAll(parts.pool().metrics());
    m.put(Metrics.OPTIM_LR, update.lr());
    m.put(Metrics.OPTIM_GRAD_NORM, update.stats() == null ? Double.NaN : update.stats().gradNorm());
    m.put(Metrics.OPTIM_SKIPPED, (double) update.skipped());
    m.put(Metrics.PERF_TOKENS_PER_SEC, sampled.tokens() / timer.totalSeconds());
    m.put(Metrics.PERF_ROLLOUT_TOKENS, (double) sampled.tokens());
    timer.addTo(m);
    OnceNamed.dropRepeats(m, rollouts.train() == sampled);
    return m;
  }

  /** Starts sampling G responses to each example. */
  private PendingBatch generate(List<Example> batchExamples, long seed) {
    List<PromptRequest> requests = new ArrayList<>();
    for (Example ex : batchExamples) {
      requests.add(
          new PromptRequest(
              ex.id(),
              parts.codec().prompt(ex),
              ex.answer(),
              ex.prompt(),
              parts.codec().messages(ex)));
    }
    return parts.pool().start(requests, settings.groupSize(), settings.sampling(), seed);
  }

  /**
   * Waits for one sampling round and scores it with the composite reward (computed here, or already
   * by the pool's actors when {@link RolloutPool#computesRewards()}; their batch carries no
   * per-token rewards).
   */
  private ScoredRollouts score(
      List<Example> batchExamples, PendingBatch pending, PhaseTimer timer) {
    int g = settings.groupSize();
    try (RolloutBatch batch = pending.await()) {
      int n = batch.size();
      int[][] responses = batch.allResponseIds();
      boolean[][] lossMask = batch.allLossMasks();
      // multi-turn: the pool put the environment's reward contributions in the reward column
      MultiTurnScores env = MultiTurnScores.of(batch, lossMask, parts.pool().computesRewards());
      boolean[] truncated = new boolean[n];
      double[][] logpOld = new double[n][];
      double[][] entropies = new double[n][];
      for (int i = 0; i < n; i++) {
        truncated[i] = batch.truncated(i);
        logpOld[i] = toDouble(batch.logprobs(i));
        entropies[i] = toDouble(batch.entropies(i));
      }
      timer.lap("rollout");

      // The task's verifier gives the step's accuracy, and the task reward reuses its verdicts.
      List<String> texts = new ArrayList<>(n);
      boolean[] correct = new boolean[n];
      for (int i = 0; i < n; i++) {
        // multi-turn: the answer judged is the policy's last turn, not a tool's output
        texts.add(parts.codec().response(env.judged(responses[i], lossMask[i])));
        correct[i] = parts.task().isCorrect(batchExamples.get(i / g), texts.get(i));
      }
      double[] totals;
      double[][] tokenRewards = null;
      double[][] componentScores = new double[n][];
      Map<String, Double> rewardMetrics;
      if (parts.pool().computesRewards()) {
        // distributed.rewards_on = actors: the actors filled the reward column with the same
        // composite reward and sent each component's scores, so the metrics are the same too.
        totals = batch.rewards();
        rewardMetrics = parts.pool().lastRewardMetrics();
      } else {
        RewardResult rewards =
            parts.reward().score(rewardInput(batch, batchExamples, texts, truncated, correct));
        batch.setRewards(rewards.total());
        totals = rewards.total();
        tokenRewards = rewards.tokenRewards();
        rewardMetrics = rewards.metrics();
        componentScores = byRow(rewards.components(), n);
      }
      if (env.active()) {
        totals = env.addTo(totals, tokenRewards, lossMask);
        batch.setRewards(totals);
        rewardMetrics = env.withMetrics(rewardMetrics, lossMask);
      }
      timer.lap("reward");
      return new ScoredRollouts(
          g,
          batchExamples,
          batch.allPromptIds(),
          responses,
          logpOld,
          entropies,
          truncated,
          correct,
          totals,
          tokenRewards == null ? new double[n][] : tokenRewards,
          lossMask,
          rewardMetrics,
          batch.totalResponseTokens(),
          componentScores);
    }
  }

  private RewardInput rewardInput(
      RolloutBatch batch,
      List<Example> batchExamples,
      List<String> texts,
      boolean[] truncated,
      boolean[] correct) {
    int g = settings.groupSize();
    List<String> promptTexts = new ArrayList<>(batch.size());
    List<String> references = new ArrayList<>(batch.size());
    List<java.util.Map<String, Object>> columns = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Example ex = batchExamples.get(i / g);
      promptTexts.add(ex.prompt());
      references.add(ex.answer());
      columns.add(ex.rewardColumns()); // a dataset's extra columns, for the reward functions
    }
    return new RewardInput(
        g,
        batch.allPromptIds(),
        batch.allResponseIds(),
        promptTexts,
        texts,
        references,
        truncated,
        // the verdict already computed for the row's own text; any other text is verified anew
        (row, text) ->
            text.equals(texts.get(row))
                ? correct[row]
                : parts.task().isCorrect(batchExamples.get(row / g), text),
        parts.codec().tokenizer()::encodePlain,
        RewardInput.columnsOfRows(columns));
  }

  /** At most {@code maxGroups} of the groups whose rewards are not all equal. */
  private ScoredRollouts withSignal(ScoredRollouts s, int maxGroups) {
    return s.keepGroups(DynamicSampling.keepGroups(s.rewards(), settings.groupSize()), maxGroups);
  }

  private long stepSeed(long step) {
    return RowSeeds.mix(settings.seed() * 1_000_003L + step);
  }

  /** Each component's score per row, [n][components], in the composite reward's order. */
  private double[][] byRow(Map<String, double[]> components, int n) {
    List<CompositeReward.Component> order = parts.reward().components();
    double[][] out = new double[n][order.size()];
    for (int c = 0; c < order.size(); c++) {
      double[] scores = components.get(order.get(c).name());
      for (int i = 0; i < n; i++) {
        out[i][c] = scores == null ? Double.NaN : scores[i];
      }
    }
    return out;
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
