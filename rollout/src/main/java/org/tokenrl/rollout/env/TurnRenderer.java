package org.tokenrl.rollout.env;

import java.util.List;
import java.util.Map;
import org.tokenrl.core.ChatTemplate;

/**
 * Turns a conversation into the token ids the policy sees: the prompt with the environment's tools,
 * the text of each policy turn, and the ids of each observation. {@link ChatRenderer} does it with
 * the model's chat template; {@link PlainRenderer} for models without one.
 */
public interface TurnRenderer {

  /** A row's conversation as rendered so far: the messages and the exact text its ids spell. */
  final class Transcript {
    List<ChatTemplate.Message> messages;
    String text;
    final List<Map<String, Object>> tools;

    Transcript(List<ChatTemplate.Message> messages, String text, List<Map<String, Object>> tools) {
      this.messages = List.copyOf(messages);
      this.text = text;
      this.tools = tools;
    }

    public List<ChatTemplate.Message> messages() {
      return messages;
    }
  }

  /**
   * The prompt ids of a row and its transcript: {@code messages} with {@code tools} rendered in, or
   * {@code requestIds} as given when there is nothing to render.
   */
  Transcript start(List<ChatTemplate.Message> messages, List<Map<String, Object>> tools);

  /** The prompt ids of {@link #start}'s transcript, or {@code requestIds} when it renders none. */
  int[] promptIds(Transcript transcript, int[] requestIds);

  /** A policy turn's text without special tokens: the assistant message, parsed for tool calls. */
  String text(int[] ids);

  /** A policy turn's text with special tokens, for stop strings. */
  String rawText(int[] ids);

  /**
   * The ids appended after policy turn {@code ids}: whatever the template writes to close the turn,
   * the observation messages and the next generation prompt. Updates the transcript.
   */
  int[] observation(Transcript transcript, int[] ids, List<ChatTemplate.Message> observation);

  /** How many observations could not be rendered as a prefix-consistent re-render (fallbacks). */
  default long fallbacks() {
    return 0;
  }
}
