package org.tokenrl.trainer.loop;

import java.util.HashMap;
import java.util.Map;
import org.tokenrl.algorithms.sft.Otr;
import org.tokenrl.algorithms.sft.OtrResult;
import org.tokenrl.core.Metrics;
import org.tokenrl.model.Policy;
import org.tokenrl.model.UpdateStats;
import org.tokenrl.model.VocabCoef;
import org.tokenrl.rollout.RowSeeds;
import org.tokenrl.runlog.PhaseTimer;

/**
 * Supervised fine-tuning on ground-truth answers: teacher-forced NLL of answer+EOS given the
 * prompt, averaged over the answer tokens of the batch (the warm-up before RL, and {@code
 * algorithm=sft}); with {@code sft.data} the NLL of a conversation's assistant tokens only,
 * averaged over those (the other tokens are context with coefficient 0); or OTR's one-token
 * rollouts ({@code algorithm=otr}): K candidate tokens drawn from the policy's own distribution at
 * every answer position, rewarded against the ground truth.
 */
public final class SftTrainer {
  private final Policy policy;
  private final SftData data;
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
      SftData data,
      int batchSize,
      LearningRateSchedule schedule,
      Otr otr,
      long batchOffset) {
    this.policy = policy;
    this.data = data;
    this.batchSize = batchSize;
    this.schedule = schedule;
    this.otr = otr;
    this.batchOffset = batchOffset;
  }

  /** One optimizer step on the examples of {@code phaseStep} (counting from 1). */
  Map<String, Double> step(long phaseStep) {
    PhaseTimer timer = new PhaseTimer();
    SftData.Batch batch = data.batch(phaseStep + batchOffset, batchSize);
    int[][] prompts = batch.prompts();
    int[][] answers = batch.targets();
    long allTokens = 0;
    for (int i = 0; i < prompts.length; i++) {
      allTokens += prompts[i].length + answers[i].length;
    }
    Map<String, Double> m = new HashMap<>();
    double[][] coef;
    VocabCoef[][] vocabCoef = null;
    if (otr == null) {
      coef = meanNllCoefficients(answers, batch.trained());
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
    boolean[][] all = new boolean[answers.length][];
    for (int i = 0; i < answers.length; i++) {
      all[i] = new boolean[answers[i].length];
      java.util.Arrays.fill(all[i], true);
    }
    return meanNllCoefficients(answers, all);
  }

  /**
   * The mean NLL over the trained tokens only: loss = -(1/n) Σ_{trained} logp with n the number of
   * trained tokens of the batch, so dloss/dlogp is -1/n on a trained token and exactly 0 on the
   * others (TRL's assistant_only_loss: system, user, tool and template tokens are context).
   */
  public static double[][] meanNllCoefficients(int[][] answers, boolean[][] trained) {
    long n = 0;
    for (boolean[] row : trained) {
      for (boolean t : row) {
        n += t ? 1 : 0;
      }
    }
    double[][] coef = new double[answers.length][];
    for (int i = 0; i < answers.length; i++) {
      coef[i] = new double[answers[i].length];
      for (int t = 0; t < coef[i].length; t++) {
        coef[i][t] = trained[i][t] ? -1.0 / Math.max(1, n) : 0.0;
      }
    }
    return coef;
  }
}
