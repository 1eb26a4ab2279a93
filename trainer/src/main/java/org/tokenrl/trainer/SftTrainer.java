package org.tokenrl.trainer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.model.Policy;
import org.tokenrl.model.UpdateStats;
import org.tokenrl.rollout.Example;

/**
 * Supervised fine-tuning: teacher-forced NLL of answer+EOS given the prompt, averaged over the
 * answer tokens of the batch. Used as the warm-up before RL and as {@code algorithm=sft}.
 */
final class SftTrainer {
  private final Policy policy;
  private final ExampleStream examples;
  private final PromptCodec codec;
  private final int batchSize;
  private final LearningRateSchedule schedule;

  SftTrainer(
      Policy policy,
      ExampleStream examples,
      PromptCodec codec,
      int batchSize,
      LearningRateSchedule schedule) {
    this.policy = policy;
    this.examples = examples;
    this.codec = codec;
    this.batchSize = batchSize;
    this.schedule = schedule;
  }

  /** One optimizer step on the examples of {@code phaseStep} (counting from 1). */
  Map<String, Double> step(long phaseStep) {
    PhaseTimer timer = new PhaseTimer();
    List<Example> batch = examples.batch(phaseStep, batchSize);
    int[][] prompts = new int[batch.size()][];
    int[][] answers = new int[batch.size()][];
    long answerTokens = 0;
    long allTokens = 0;
    for (int i = 0; i < batch.size(); i++) {
      prompts[i] = codec.prompt(batch.get(i).prompt());
      answers[i] = codec.answer(batch.get(i).answer());
      answerTokens += answers[i].length;
      allTokens += prompts[i].length + answers[i].length;
    }
    // Token-mean NLL: loss = -(1/n) Σ logp, so dloss/dlogp = -1/n for every answer token.
    double[][] coef = new double[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      coef[i] = new double[answers[i].length];
      java.util.Arrays.fill(coef[i], -1.0 / answerTokens);
    }
    timer.lap("data");
    double lr = schedule.at(phaseStep);
    policy.setLearningRate(lr);
    UpdateStats update = policy.update(prompts, answers, coef, null, 1.0);
    timer.lap("update");

    Map<String, Double> m = new HashMap<>();
    m.put("sft/nll", update.skipped() ? Double.NaN : update.loss());
    m.put("optim/lr", lr);
    m.put("optim/grad_norm", update.gradNorm());
    m.put("optim/skipped", update.skipped() ? 1.0 : 0.0);
    m.put("perf/tokens_per_sec", allTokens / timer.totalSeconds());
    timer.addTo(m);
    return m;
  }
}
