package org.tokenrl.trainer.preference;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.tokenrl.algorithms.preference.Cdpo.ContrastiveEstimation;
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.algorithms.preference.Treg.TokenRewards;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.PreferenceJsonl;
import org.tokenrl.rollout.PreferencePairing;
import org.tokenrl.rollout.PreferenceText;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.QualityTaggedTask;
import org.tokenrl.rollout.QualityTags;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RowSeeds;
import org.tokenrl.rollout.Task;
import org.tokenrl.trainer.loop.ChunkedScores;
import org.tokenrl.trainer.loop.ExampleStream;
import org.tokenrl.trainer.setup.PromptCodec;
import org.tokenrl.trainer.setup.RunSpec;

/**
 * Builds a preference run's dataset once, when the main phase starts (docs/preference.md):
 *
 * <ol>
 *   <li>pairs, from a JSONL file or on-policy: sample the policy on training prompts, judge each
 *       response with the task's verifier, pair correct with incorrect responses;
 *   <li>reference log-probs of both responses under the frozen starting policy;
 *   <li>T-REG: token rewards r̂ from the reference model under the better/worse prompt templates;
 *   <li>cDPO: positive and negative models fine-tuned from the start on correct and incorrect
 *       samples, whose contrast weights every rejected token.
 * </ol>
 */
final class PreferenceDataBuilder {
  private static final int SAMPLE_CHUNK = 64;

  private final RunSpec.Preference settings;
  private final RunSpec.Rollout rollout;
  private final PreferenceAlgorithm algorithm;
  private final Task task;
  private final PromptCodec codec;
  private final Path projectRoot;
  private final long seed;
  private final Consumer<String> log;

  PreferenceDataBuilder(
      RunSpec spec,
      PreferenceAlgorithm algorithm,
      Task task,
      PromptCodec codec,
      Path projectRoot,
      long seed,
      Consumer<String> log) {
    this.settings = spec.preference();
    this.rollout = spec.rollout();
    this.algorithm = algorithm;
    this.task = task;
    this.codec = codec;
    this.projectRoot = projectRoot;
    this.seed = seed;
    this.log = log;
  }

  /** Pairs plus cached reference log-probs and token weights; {@code policy} is the start. */
  PreferenceData build(Policy policy, RolloutPool pool) {
    Samples samples = settings.fromJsonl() ? fromJsonl() : sample(pool);
    List<CandidatePair> pairs = fitting(samples.pairs, policy.config().maxSeqLen());
    if (pairs.isEmpty()) {
      throw new IllegalStateException(
          "no preference pairs: "
              + (samples.fromJsonl
                  ? "the JSONL file has none that fit model.max_seq_len"
                  : "no sampled prompt had both a correct and an incorrect response; raise"
                      + " preference.samples_per_prompt or preference.temperature, or change"
                      + " sft.steps"));
    }
    int[][] prompts = column(pairs, CandidatePair::prompt);
    int[][] chosen = column(pairs, CandidatePair::chosen);
    int[][] rejected = column(pairs, CandidatePair::rejected);
    double[][] refChosen = ChunkedScores.logprobs(policy, prompts, chosen);
    double[][] refRejected = ChunkedScores.logprobs(policy, prompts, rejected);
    double[][] rewardChosen = null;
    double[][] rewardRejected = null;
    if (algorithm.needsTokenRewards()) {
      Config s = algorithm.settings();
      int[][] better = templated(pairs, s.getString("better_template"));
      int[][] worse = templated(pairs, s.getString("worse_template"));
      rewardChosen =
          TokenRewards.contrastive(
              ChunkedScores.logprobs(policy, better, chosen),
              ChunkedScores.logprobs(policy, worse, chosen));
      rewardRejected =
          TokenRewards.contrastive(
              ChunkedScores.logprobs(policy, better, rejected),
              ChunkedScores.logprobs(policy, worse, rejected));
    }
    double[][] weightRejected = null;
    if (algorithm.needsCriticalWeights()) {
      weightRejected = criticalWeights(policy, samples, prompts, rejected);
    }
    return new PreferenceData(
        pairs, refChosen, refRejected, rewardChosen, rewardRejected, weightRejected);
  }

  /** Pairs and, for cDPO, the trajectories its positive and negative models train on. */
  private record Samples(
      List<CandidatePair> pairs,
      List<int[]> positivePrompts,
      List<int[]> positive,
      List<int[]> negativePrompts,
      List<int[]> negative,
      boolean fromJsonl) {}

  private Samples fromJsonl() {
    String file = settings.path();
    if (file.isBlank()) {
      throw new IllegalArgumentException(
          "preference.source = jsonl needs preference.path (a file of {\"prompt\", \"chosen\","
              + " \"rejected\"} lines)");
    }
    Path path = projectRoot.resolve(file);
    List<CandidatePair> pairs = new ArrayList<>();
    List<int[]> prompts = new ArrayList<>();
    List<int[]> chosen = new ArrayList<>();
    List<int[]> rejected = new ArrayList<>();
    for (PreferenceText t : PreferenceJsonl.read(path)) {
      CandidatePair p =
          new CandidatePair(
              untagged(t.prompt()),
              codec.prompt(t.prompt()),
              codec.answer(t.chosen()),
              codec.answer(t.rejected()));
      pairs.add(p);
      prompts.add(p.prompt());
      chosen.add(p.chosen());
      rejected.add(p.rejected());
    }
    log.accept(String.format("preference pairs: %d read from %s", pairs.size(), path));
    return new Samples(pairs, prompts, chosen, prompts, rejected, true);
  }

  /** Samples N responses per training prompt with the current policy and pairs them. */
  private Samples sample(RolloutPool pool) {
    int numPrompts = settings.prompts();
    int n = settings.samplesPerPrompt();
    int pairsPerPrompt = settings.pairsPerPrompt();
    String pairing = settings.pairing();
    if (!pairing.equals("distinct") && !pairing.equals("frequency")) {
      throw new IllegalArgumentException(
          "preference.pairing must be distinct or frequency, got '" + pairing + "'");
    }
    boolean frequencyPairs = pairing.equals("frequency");
    double coverage =
        algorithm.settings().hasPath("negative_coverage")
            ? algorithm.settings().getDouble("negative_coverage")
            : PreferencePairing.CDPO_NEGATIVE_COVERAGE;
    SamplingParams params =
        new SamplingParams(
            settings.temperature(),
            rollout.topK(),
            rollout.topP(),
            rollout.maxNewTokens(task),
            codec.tokenizer().eos(),
            false);
    List<Example> examples = new ExampleStream<>(task.train(), seed).extraBatch(0, 1, numPrompts);
    Random pick = new Random(RowSeeds.mix(seed + 17));
    List<CandidatePair> pairs = new ArrayList<>();
    List<int[]> posPrompts = new ArrayList<>();
    List<int[]> pos = new ArrayList<>();
    List<int[]> negPrompts = new ArrayList<>();
    List<int[]> neg = new ArrayList<>();
    int withBoth = 0;
    long correctTotal = 0;
    for (int from = 0; from < examples.size(); from += SAMPLE_CHUNK) {
      List<Example> chunk = examples.subList(from, Math.min(examples.size(), from + SAMPLE_CHUNK));
      List<PromptRequest> requests = new ArrayList<>();
      for (Example ex : chunk) {
        requests.add(new PromptRequest(ex.id(), codec.prompt(ex), ex.answer()));
      }
      try (RolloutBatch batch =
          pool.generate(requests, n, params, RowSeeds.mix(seed * 7_919L + from))) {
        int[][] responses = batch.allResponseIds();
        for (int p = 0; p < chunk.size(); p++) {
          Example ex = chunk.get(p);
          List<int[]> rs = new ArrayList<>(n);
          List<String> texts = new ArrayList<>(n);
          boolean[] correct = new boolean[n];
          for (int k = 0; k < n; k++) {
            rs.add(responses[p * n + k]);
            texts.add(codec.response(responses[p * n + k]));
            correct[k] = task.isCorrect(ex, texts.get(k));
            correctTotal += correct[k] ? 1 : 0;
          }
          int[] prompt = requests.get(p).promptIds();
          List<PreferencePairing.Pair> found =
              frequencyPairs
                  ? PreferencePairing.cdpoPair(texts, correct).map(List::of).orElse(List.of())
                  : PreferencePairing.onPolicy(rs, correct, pairsPerPrompt);
          withBoth += found.isEmpty() ? 0 : 1;
          for (PreferencePairing.Pair pair : found) {
            pairs.add(
                new CandidatePair(
                    untagged(ex.prompt()), prompt, rs.get(pair.chosen()), rs.get(pair.rejected())));
          }
          // cDPO's SFT sets (docs/preference.md §4.1 step 2): one correct trajectory per question;
          // incorrect
          // ones from the most frequent wrong answers until they cover `coverage` of them.
          PreferencePairing.positiveExample(correct, pick)
              .ifPresent(
                  i -> {
                    posPrompts.add(prompt);
                    pos.add(rs.get(i));
                  });
          List<Integer> wrong = new ArrayList<>();
          List<String> wrongAnswers = new ArrayList<>();
          for (int k = 0; k < n; k++) {
            if (!correct[k]) {
              wrong.add(k);
              wrongAnswers.add(texts.get(k));
            }
          }
          for (int j : PreferencePairing.negativeExamples(wrongAnswers, coverage)) {
            negPrompts.add(prompt);
            neg.add(rs.get(wrong.get(j)));
          }
        }
      }
    }
    log.accept(
        String.format(
            "preference pairs: %d from %d prompts x %d samples (%.1f%% correct; %d prompts had"
                + " both a correct and an incorrect response)",
            pairs.size(),
            examples.size(),
            n,
            100.0 * correctTotal / Math.max(1, (long) examples.size() * n),
            withBoth));
    return new Samples(pairs, posPrompts, pos, negPrompts, neg, false);
  }

  /**
   * cDPO weights 1 − s_t of every rejected token (docs/preference.md §4.2), from fresh contrastive
   * models.
   */
  private double[][] criticalWeights(
      Policy start, Samples samples, int[][] prompts, int[][] rejected) {
    Config s = algorithm.settings();
    if (samples.positive.isEmpty() || samples.negative.isEmpty()) {
      throw new IllegalStateException(
          "cDPO needs correct and incorrect samples to train its positive and negative models;"
              + " got "
              + samples.positive.size()
              + " correct and "
              + samples.negative.size()
              + " incorrect");
    }
    ContrastiveSft sft =
        new ContrastiveSft(
            s.getInt("contrastive_sft_steps"),
            s.getInt("contrastive_batch_size"),
            s.getDouble("contrastive_learning_rate"),
            seed);
    double lambda = s.getDouble("lambda");
    double eosWeight = s.getDouble("eos_weight");
    int eos = codec.tokenizer().eos();
    try (Policy positive = sft.train(start, samples.positivePrompts, samples.positive);
        Policy negative = sft.train(start, samples.negativePrompts, samples.negative)) {
      log.accept(
          String.format(
              "cDPO: positive model trained on %d correct, negative model on %d incorrect"
                  + " trajectories (%d SFT steps each)",
              samples.positive.size(), samples.negative.size(), sft.steps()));
      double[][] weights = new double[rejected.length][];
      for (int from = 0; from < rejected.length; from += ChunkedScores.CHUNK) {
        int to = Math.min(rejected.length, from + ChunkedScores.CHUNK);
        int[][] p = java.util.Arrays.copyOfRange(prompts, from, to);
        int[][] r = java.util.Arrays.copyOfRange(rejected, from, to);
        float[][][] zPos = logProbRows(positive, p, r);
        float[][][] zNeg = logProbRows(negative, p, r);
        for (int i = 0; i < r.length; i++) {
          double[] scores = ContrastiveEstimation.scores(zPos[i], zNeg[i], r[i], lambda);
          boolean endsWithEos = r[i].length > 0 && r[i][r[i].length - 1] == eos;
          weights[from + i] = ContrastiveEstimation.weights(scores, endsWithEos, eosWeight);
        }
      }
      return weights;
    }
  }

  /**
   * Full log-prob rows [rows][T_i][V] of one chunk of (prompt, response) pairs: the contrastive
   * score of a token needs both models' whole rows at once, so one chunk of rows is held (memory
   * O(chunk · T · V), bounded by ChunkedScores.CHUNK rows).
   */
  private static float[][][] logProbRows(Policy policy, int[][] prompts, int[][] responses) {
    float[][][] rows = new float[responses.length][][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = new float[responses[i].length][];
    }
    policy.responseLogProbs(prompts, responses, 1.0, (i, t, logp) -> rows[i][t] = logp.clone());
    return rows;
  }

  private int[][] templated(List<CandidatePair> pairs, String template) {
    int[][] out = new int[pairs.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = codec.prompt(QualityTags.apply(template, pairs.get(i).promptText()));
    }
    return out;
  }

  /** Drops pairs whose prompt + response (or templated prompt) would not fit the model. */
  private List<CandidatePair> fitting(List<CandidatePair> pairs, int maxSeqLen) {
    int slack = 0;
    if (algorithm.needsTokenRewards()) {
      Config s = algorithm.settings();
      slack =
          Math.max(s.getString("better_template").length(), s.getString("worse_template").length());
    }
    List<CandidatePair> out = new ArrayList<>();
    for (CandidatePair p : pairs) {
      int longest = p.prompt().length + Math.max(p.chosen().length, p.rejected().length) + slack;
      if (longest <= maxSeqLen + 1) {
        out.add(p);
      }
    }
    if (out.size() < pairs.size()) {
      log.accept(
          String.format(
              "preference pairs: dropped %d of %d longer than model.max_seq_len = %d",
              pairs.size() - out.size(), pairs.size(), maxSeqLen));
    }
    return out;
  }

  private String untagged(String prompt) {
    return task instanceof QualityTaggedTask tagged ? tagged.tags().strip(prompt) : prompt;
  }

  private static int[][] column(
      List<CandidatePair> pairs, java.util.function.Function<CandidatePair, int[]> f) {
    int[][] out = new int[pairs.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = f.apply(pairs.get(i));
    }
    return out;
  }
}
