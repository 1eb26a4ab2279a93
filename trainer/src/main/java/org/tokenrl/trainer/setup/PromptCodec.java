package org.tokenrl.trainer.setup;

import java.util.Arrays;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.rollout.Example;

/**
 * How examples become token ids: prompts start with BOS, or with {@code task.chat} go through the
 * model's chat template ({@link ChatFormat}); answers end with EOS (for a chat model its
 * end-of-turn token, e.g. {@code <|im_end|>}).
 *
 * @param chat null for plain prompts
 */
public record PromptCodec(Tokenizer tokenizer, ChatFormat chat) {

  PromptCodec(Tokenizer tokenizer) {
    this(tokenizer, null);
  }

  /** The example's prompt ids: its conversation when it has one, else its prompt text. */
  public int[] prompt(Example example) {
    if (example.messages().isEmpty()) {
      return prompt(example.prompt());
    }
    if (chat == null) {
      throw new IllegalStateException(
          "a conversation (\"messages\") needs task.chat = true"); // StartChecks reports it first
    }
    return chat.encode(example.messages());
  }

  /**
   * The prompt as the model is asked it, readable: under task.chat with the system message and the
   * instruction the chat format adds (the TEXT tab once showed the bare question); the prompt text
   * otherwise.
   */
  public String promptText(Example example) {
    if (chat == null) {
      return example.prompt();
    }
    return example.messages().isEmpty()
        ? chat.text(example.prompt())
        : chat.text(example.messages());
  }

  /**
   * The chat messages {@link #prompt(Example)} renders (system, user, or the JSONL conversation);
   * empty for a plain prompt. Multi-turn rollouts render them again with their tools.
   */
  public java.util.List<org.tokenrl.core.ChatTemplate.Message> messages(Example example) {
    if (chat == null) {
      return java.util.List.of();
    }
    return example.messages().isEmpty()
        ? chat.messages(example.prompt())
        : chat.messages(example.messages());
  }

  public int[] prompt(String text) {
    if (chat != null) {
      return chat.encode(text);
    }
    int[] body = tokenizer.encodePlain(text);
    int[] ids = new int[body.length + 1];
    ids[0] = tokenizer.bos();
    System.arraycopy(body, 0, ids, 1, body.length);
    return ids;
  }

  public int[] answer(String text) {
    int[] body = tokenizer.encodePlain(text);
    int[] ids = Arrays.copyOf(body, body.length + 1);
    ids[body.length] = tokenizer.eos();
    return ids;
  }

  public String response(int[] ids) {
    return tokenizer.decode(ids);
  }
}
