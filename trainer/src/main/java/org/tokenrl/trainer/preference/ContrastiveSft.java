package org.tokenrl.trainer.preference;

import java.util.ArrayList;
import java.util.List;
import org.tokenrl.model.Policy;
import org.tokenrl.trainer.loop.ExampleStream;
import org.tokenrl.trainer.loop.SftTrainer;

/**
 * cDPO's positive / negative model training (docs/preference.md §4.1 step 2): a copy of the
 * starting policy fine-tuned with teacher-forced NLL on given trajectories (token ids, as sampled).
 * The paper uses LoRA adapters on a large model; a full fine-tune of a copy is the same idea for
 * the small models trained here.
 */
final class ContrastiveSft {
  private final int steps;
  private final int batchSize;
  private final double learningRate;
  private final long seed;

  ContrastiveSft(int steps, int batchSize, double learningRate, long seed) {
    if (steps < 1 || batchSize < 1 || !(learningRate > 0)) {
      throw new IllegalArgumentException(
          "cDPO contrastive models need contrastive_sft_steps >= 1, contrastive_batch_size >= 1"
              + " and contrastive_learning_rate > 0");
    }
    this.steps = steps;
    this.batchSize = batchSize;
    this.learningRate = learningRate;
    this.seed = seed;
  }

  int steps() {
    return steps;
  }

  /** A copy of {@code start} after {@link #steps} NLL steps on {@code responses}. */
  Policy train(Policy start, List<int[]> prompts, List<int[]> responses) {
    Policy model = start.copy();
    model.setLearningRate(learningRate);
    List<Integer> rows = new ArrayList<>();
    for (int i = 0; i < responses.size(); i++) {
      rows.add(i);
    }
    ExampleStream<Integer> order = new ExampleStream<>(rows, seed);
    for (int step = 1; step <= steps; step++) {
      List<Integer> batch = order.batch(step, batchSize);
      int[][] p = new int[batch.size()][];
      int[][] r = new int[batch.size()][];
      for (int j = 0; j < p.length; j++) {
        p[j] = prompts.get(batch.get(j));
        r[j] = responses.get(batch.get(j));
      }
      model.update(p, r, SftTrainer.meanNllCoefficients(r), null, 1.0);
    }
    return model;
  }
}
