package org.tokenrl.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * One sampled response: a row of a {@link RolloutBatch}.
 *
 * <p>Arrays are held as given, not copied (batches move many of them); treat them as read-only.
 *
 * @param exampleId index of the prompt in its dataset
 * @param group group index; all rows of a group share it (a group is the samples of one prompt)
 * @param promptIds prompt token ids
 * @param responseIds sampled response token ids
 * @param logprobs sampling log-probability of each response token
 * @param entropies entropy of the sampling distribution at each response token
 * @param truncated true if generation stopped at the length limit rather than at EOS
 * @param reference the dataset's answer text ("" if it has none)
 * @param reward scalar reward of the response (NaN before it is scored, by convention); a
 *     multi-turn rollout's pool puts the environment's reward contribution here
 * @param lossMask per response token, true where the policy wrote it; false for tokens an
 *     environment, a tool or the chat template inserted (multi-turn rollouts). Null in the
 *     constructor means all true
 */
public record Rollout(
    int exampleId,
    int group,
    int[] promptIds,
    int[] responseIds,
    float[] logprobs,
    float[] entropies,
    boolean truncated,
    String reference,
    double reward,
    boolean[] lossMask) {

  /** A single-turn row: every response token is the policy's. */
  public Rollout(
      int exampleId,
      int group,
      int[] promptIds,
      int[] responseIds,
      float[] logprobs,
      float[] entropies,
      boolean truncated,
      String reference,
      double reward) {
    this(
        exampleId,
        group,
        promptIds,
        responseIds,
        logprobs,
        entropies,
        truncated,
        reference,
        reward,
        null);
  }

  public Rollout {
    Objects.requireNonNull(promptIds, "promptIds");
    Objects.requireNonNull(responseIds, "responseIds");
    Objects.requireNonNull(logprobs, "logprobs");
    Objects.requireNonNull(entropies, "entropies");
    Objects.requireNonNull(reference, "reference (use \"\" when there is none)");
    if (logprobs.length != responseIds.length || entropies.length != responseIds.length) {
      throw new IllegalArgumentException(
          "logprobs and entropies need one entry per response token: "
              + responseIds.length
              + " tokens, "
              + logprobs.length
              + " logprobs, "
              + entropies.length
              + " entropies");
    }
    if (lossMask == null) {
      lossMask = new boolean[responseIds.length];
      Arrays.fill(lossMask, true);
    } else if (lossMask.length != responseIds.length) {
      throw new IllegalArgumentException(
          "lossMask needs one entry per response token: "
              + responseIds.length
              + " tokens, "
              + lossMask.length
              + " mask entries");
    }
  }

  /** A copy with another reward. */
  public Rollout withReward(double newReward) {
    return new Rollout(
        exampleId,
        group,
        promptIds,
        responseIds,
        logprobs,
        entropies,
        truncated,
        reference,
        newReward,
        lossMask);
  }

  // Records compare arrays by identity; rows are values, so compare contents.
  @Override
  public boolean equals(Object o) {
    return o instanceof Rollout r
        && exampleId == r.exampleId
        && group == r.group
        && truncated == r.truncated
        && Double.compare(reward, r.reward) == 0
        && reference.equals(r.reference)
        && Arrays.equals(promptIds, r.promptIds)
        && Arrays.equals(responseIds, r.responseIds)
        && Arrays.equals(logprobs, r.logprobs)
        && Arrays.equals(entropies, r.entropies)
        && Arrays.equals(lossMask, r.lossMask);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(exampleId, group, truncated, reward, reference);
    h = 31 * h + Arrays.hashCode(promptIds);
    h = 31 * h + Arrays.hashCode(responseIds);
    h = 31 * h + Arrays.hashCode(logprobs);
    h = 31 * h + Arrays.hashCode(lossMask);
    return 31 * h + Arrays.hashCode(entropies);
  }

  @Override
  public String toString() {
    return "Rollout[exampleId="
        + exampleId
        + ", group="
        + group
        + ", promptIds="
        + Arrays.toString(promptIds)
        + ", responseIds="
        + Arrays.toString(responseIds)
        + ", logprobs="
        + Arrays.toString(logprobs)
        + ", entropies="
        + Arrays.toString(entropies)
        + ", truncated="
        + truncated
        + ", reference="
        + reference
        + ", reward="
        + reward
        + ", lossMask="
        + Arrays.toString(lossMask)
        + "]";
  }
}
