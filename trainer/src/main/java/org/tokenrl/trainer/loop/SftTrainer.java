package org.tokenrl.trainer.loop;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.algorithms.sft.Otr;
import org.tokenrl.algorithms.sft.OtrResult;
import org.tokenrl.core.Metrics;
import org.tokenrl.model.Policy;
import org.tokenrl.model.UpdateStats;
import org.tokenrl.model.VocabCoef;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.RowSeeds;
import org.tokenrl.runlog.PhaseTimer;
import org.tokenrl.trainer.setup.PromptCodec;

/**
 * Supervised fine-tuning on ground-truth answers: teacher-forced NLL of answer+EOS given the
 * prompt, averaged over the answer tokens of the batch (the warm-up before RL, and {@code
 * algorithm=sft}), or OTR's one-token rollouts ({@code algorithm=otr}): K candidate tokens drawn
 * from the policy's own distribution at every answer position, rewarded against the ground truth.
 */
public final class SftTrainer {
  private final Policy policy;
  private final ExampleStream<Example> examples;
  private final PromptCodec codec;
  private final int batchSize;
  private final LearningRateSchedule schedule;
  private final Otr otr; // null: plain NLL
  private final long batchOffset;

  /**
   * @param otr OTR's loss, or null for plain NLL
   * @param batchOffset added to the step to pick its examples, so a main SFT phase after the
   *     warm-up continues through the data instead of repeating the warm-up's batches
   */
  SftTrainer(
      Policy policy,
      ExampleStream<Example> examples,
      PromptCodec codec,
      int batchSize,
      LearningRateSchedule schedule,
      Otr otr,
      long batchOffset) {
    this.policy = policy;
    this.examples = examples;
    this.codec = codec;
    this.batchSize = batchSize;
    this.schedule = schedule;
    this.otr = otr;
    this.batchOffset = batchOffset;
  }

  /** One optimizer step on the examples of {@code phaseStep} (counting from 1). */
  Map<String, Double> step(long phaseStep) {
    PhaseTimer timer = new PhaseTimer();
    List<Example> batch = examples.batch(phaseStep + batchOffset, batchSize);
    int[][] prompts = new int[batch.size()][];
    int[][] answers = new int[batch.size()][];
    long allTokens = 0;
    for (int i = 0; i < batch.size(); i++) {
      prompts[i] = codec.prompt(batch.get(i));
      answers[i] = codec.answer(batch.get(i).answer());
      allTokens += prompts[i].length + answers[i].length;
    }
    Map<String, Double> m = new HashMap<>();
    double[][] coef;
    VocabCoef[][] vocabCoef = null;
    if (otr == null) {
      coef = meanNllCoefficients(answers);
    } else {
      // All K candidates of every position come from the one teacher-forced pass's log-probs,
      // streamed one position at a time; only the (sparse) coefficients are kept.
      Otr.Streaming stream = otr.streaming(answers, RowSeeds.mix(phaseStep + batchOffset));
      VocabCoef[][] sparse = new VocabCoef[answers.length][];
      coef = new double[answers.length][];
      for (int i = 0; i < answers.length; i++) {
        sparse[i] = new VocabCoef[answers[i].length];
        coef[i] = new double[answers[i].length];
      }
      policy.responseLogProbs(
          prompts,
          answers,
          1.0,
          (i, t, logp) -> sparse[i][t] = VocabCoef.ofDense(stream.position(i, t, logp)));
      OtrResult result = stream.result(null);
      vocabCoef = sparse;
      m.put(Metrics.ACTOR_LOSS, result.loss());
      m.putAll(result.metrics());
    }
    timer.lap("data");
    double lr = schedule.at(phaseStep);
    policy.setLearningRate(lr);
    UpdateStats update = policy.update(prompts, answers, coef, vocabCoef, 1.0);
    timer.lap("update");

    if (otr == null) {
      m.put(Metrics.SFT_NLL, update.skipped() ? Double.NaN : update.loss());
    }
    m.put(Metrics.OPTIM_LR, lr);
    m.put(Metrics.OPTIM_GRAD_NORM, update.gradNorm());
    m.put(Metrics.OPTIM_SKIPPED, update.skipped() ? 1.0 : 0.0);
    m.put(Metrics.PERF_TOKENS_PER_SEC, allTokens / timer.totalSeconds());
    timer.addTo(m);
    return m;
  }

  /** Token-mean NLL: loss = -(1/n) Σ logp, so dloss/dlogp = -1/n for every answer token. */
  public static double[][] meanNllCoefficients(int[][] answers) {
    long n = 0;
    for (int[] a : answers) {
      n += a.length;
    }
    double[][] coef = new double[answers.length][];
    for (int i = 0; i < answers.length; i++) {
      coef[i] = new double[answers[i].length];
      java.util.Arrays.fill(coef[i], -1.0 / Math.max(1, n));
    }
    return coef;
  }
}
