package org.tokenrl.rollout;

import java.util.List;
import org.tokenrl.core.ChatTemplate;

/**
 * One prompt to sample for: its token ids (BOS included) plus what the batch records about it.
 *
 * @param exampleId the dataset example's id, carried into the batch for rewards and logging
 * @param promptIds token ids fed to the model
 * @param reference the expected answer text ("" when the task has none)
 * @param prompt the prompt text, for a multi-turn rollout's environment
 * @param messages the chat messages {@code promptIds} were rendered from (empty for a plain
 *     prompt): a multi-turn rollout renders them again with its environment's tools
 */
public record PromptRequest(
    int exampleId,
    int[] promptIds,
    String reference,
    String prompt,
    List<ChatTemplate.Message> messages) {

  public PromptRequest(int exampleId, int[] promptIds, String reference) {
    this(exampleId, promptIds, reference, "", List.of());
  }

  public PromptRequest {
    messages = List.copyOf(messages);
  }
}
