package org.tokenrl.trainer.loop;

import java.util.Arrays;
import java.util.List;
import org.tokenrl.rollout.Example;
import org.tokenrl.trainer.setup.PromptCodec;
import org.tokenrl.trainer.setup.SftConversations;

/**
 * Where an SFT step's rows come from: the task's (prompt, answer + EOS) pairs, every target token
 * trained on, or {@code sft.data}'s conversations, only the assistant's tokens trained on.
 */
interface SftData {

  /**
   * @param targets the ids after each prompt, teacher-forced
   * @param trained per target token, whether it carries loss
   */
  record Batch(int[][] prompts, int[][] targets, boolean[][] trained) {}

  /** The rows of batch {@code index} (a permutation per pass, as {@link ExampleStream} gives). */
  Batch batch(long index, int size);

  /** The task's examples: prompt, then answer + EOS, all trained on. */
  static SftData answers(ExampleStream<Example> examples, PromptCodec codec) {
    return (index, size) -> {
      List<Example> batch = examples.batch(index, size);
      int[][] prompts = new int[batch.size()][];
      int[][] answers = new int[batch.size()][];
      boolean[][] trained = new boolean[batch.size()][];
      for (int i = 0; i < batch.size(); i++) {
        prompts[i] = codec.prompt(batch.get(i));
        answers[i] = codec.answer(batch.get(i).answer());
        trained[i] = new boolean[answers[i].length];
        Arrays.fill(trained[i], true);
      }
      return new Batch(prompts, answers, trained);
    };
  }

  /** Rendered conversations: the assistant's tokens trained on, the rest context only. */
  static SftData conversations(ExampleStream<SftConversations.Row> rows) {
    return (index, size) -> {
      List<SftConversations.Row> batch = rows.batch(index, size);
      int[][] prompts = new int[batch.size()][];
      int[][] targets = new int[batch.size()][];
      boolean[][] trained = new boolean[batch.size()][];
      for (int i = 0; i < batch.size(); i++) {
        prompts[i] = batch.get(i).ids().prompt();
        targets[i] = batch.get(i).ids().response();
        trained[i] = batch.get(i).ids().policy();
      }
      return new Batch(prompts, targets, trained);
    };
  }
}
