package org.tokenrl.trainer.loop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.env.EnvRow;
import org.tokenrl.rollout.env.MultiTurnDriver;
import org.tokenrl.rollout.env.MultiTurnRollout;
import org.tokenrl.trainer.setup.PromptCodec;

/**
 * Held-out evaluation with {@code rollout.env}: each prompt is rolled out turn by turn with its
 * environment, and the verifier judges the policy's last turn. Counts the rollouts in which the
 * environment answered at least once ({@code eval/multi_turn_frac}).
 */
final class MultiTurnEval {
  private final MultiTurnDriver driver;
  private final PromptCodec codec;
  private long rollouts;
  private long answered;

  MultiTurnEval(MultiTurnDriver driver, PromptCodec codec) {
    this.driver = driver;
    this.codec = codec;
  }

  /** The last policy turn's ids of each example's rollout; {@code seeds[i]} seeds row i. */
  int[][] judged(
      Policy policy, List<Example> examples, int[][] prompts, SamplingParams params, long[] seeds) {
    List<MultiTurnDriver.Request> requests = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      Example ex = examples.get(i);
      requests.add(
          new MultiTurnDriver.Request(
              new EnvRow(i, ex.id(), ex.prompt(), ex.answer(), codec.messages(ex), seeds[i]),
              prompts[i]));
    }
    List<MultiTurnRollout> out = driver.run(requests, policy::generate, params, seeds);
    int[][] judged = new int[out.size()][];
    for (int i = 0; i < out.size(); i++) {
      MultiTurnRollout r = out.get(i);
      boolean envSpoke = false;
      for (boolean policyToken : r.lossMask()) {
        envSpoke |= !policyToken;
      }
      answered += envSpoke ? 1 : 0;
      rollouts++;
      List<int[]> turns = r.turns();
      int[] last = turns.isEmpty() ? new int[] {0, 0} : turns.get(turns.size() - 1);
      judged[i] = Arrays.copyOfRange(r.responseIds(), last[0], last[1]);
    }
    return judged;
  }

  /** The fraction of rollouts since the last call in which the environment answered; resets. */
  double takeFraction() {
    double f = rollouts == 0 ? Double.NaN : (double) answered / rollouts;
    rollouts = 0;
    answered = 0;
    return f;
  }
}
