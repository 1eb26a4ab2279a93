package org.tokenrl.rollout;

/**
 * One prompt to sample for: its token ids (BOS included) plus what the batch records about it.
 *
 * @param exampleId the dataset example's id, carried into the batch for rewards and logging
 * @param promptIds token ids fed to the model
 * @param reference the expected answer text ("" when the task has none)
 */
public record PromptRequest(int exampleId, int[] promptIds, String reference) {}
