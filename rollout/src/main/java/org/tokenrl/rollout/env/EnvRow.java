package org.tokenrl.rollout.env;

import java.util.List;
import org.tokenrl.core.ChatTemplate;

/**
 * The task row a rollout's environment is created from.
 *
 * @param row the row's index in the step's batch (group-major: prompt {@code row / G})
 * @param exampleId the dataset example's id
 * @param prompt the prompt text
 * @param reference the expected answer ("" when the task has none)
 * @param messages the prompt's conversation (system and user turns) before any tool description
 * @param seed the row's seed, for environments that draw random numbers
 */
public record EnvRow(
    int row,
    int exampleId,
    String prompt,
    String reference,
    List<ChatTemplate.Message> messages,
    long seed) {
  public EnvRow {
    messages = List.copyOf(messages);
  }
}
