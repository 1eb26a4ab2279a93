package org.tokenrl.rollout;

import java.util.ArrayList;
import java.util.List;
import org.tokenrl.core.Rollout;
import org.tokenrl.rollout.env.EnvRow;
import org.tokenrl.rollout.env.MultiTurnDriver;
import org.tokenrl.rollout.env.MultiTurnRollout;

/**
 * Between a pool's prompts and the multi-turn driver: the request of a batch row, and the batch
 * rows of finished rollouts (the environment's reward in the reward column, NaN when it failed).
 * Shared by the in-process pool and the Ray actors, so both build rows the same way.
 */
public final class MultiTurnRows {
  private MultiTurnRows() {}

  /** Row {@code row} (group-major) of a batch over {@code prompts}. */
  public static MultiTurnDriver.Request request(
      List<PromptRequest> prompts, int groupSize, int row, long seed) {
    PromptRequest p = prompts.get(row / groupSize);
    return new MultiTurnDriver.Request(
        new EnvRow(row, p.exampleId(), p.prompt(), p.reference(), p.messages(), seed),
        p.promptIds());
  }

  /** Batch rows, group-major, for rollouts of rows {@code 0..results.size()}. */
  public static List<Rollout> rows(
      List<PromptRequest> prompts, int groupSize, List<MultiTurnRollout> results) {
    List<Rollout> out = new ArrayList<>(results.size());
    for (int row = 0; row < results.size(); row++) {
      out.add(row(prompts.get(row / groupSize), row / groupSize, results.get(row)));
    }
    return out;
  }

  public static Rollout row(PromptRequest req, int group, MultiTurnRollout r) {
    return new Rollout(
        req.exampleId(),
        group,
        r.promptIds(),
        r.responseIds(),
        r.logprobs(),
        r.entropies(),
        r.truncated(),
        req.reference(),
        r.envReward(),
        r.lossMask());
  }
}
