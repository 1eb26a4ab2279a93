package org.tokenrl.rollout.env;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.HfTokenizer;

/**
 * A finished conversation (system, user, assistant and tool messages) as the token ids a multi-turn
 * rollout gives the same conversation, with the policy's tokens marked: what supervised training on
 * demonstrations needs so that the ids it trains on are the ids the policy sees at rollout.
 *
 * <p>The messages before the first assistant message are the prompt, rendered by {@link
 * ChatRenderer#start} (tools described as the rollout describes them). Each assistant message is a
 * policy turn: its content tokenized, followed by the end-of-turn token when the policy would write
 * one itself (the last turn, or a turn that does not end at a stop string such as {@code
 * </tool_call>}; after a stop string the rollout inserts the end-of-turn as part of the next
 * observation). The messages between two assistant messages are the observation, appended by {@link
 * ChatRenderer#observation} exactly as the environment's answer is. Policy tokens get mask true,
 * everything else false.
 */
public final class ConversationIds {

  /**
   * @param prompt the prompt ids (system, user, the generation prompt)
   * @param response everything after the prompt, through the last assistant turn's end-of-turn
   * @param policy per response token, true where the assistant (the policy) writes it
   */
  public record Ids(int[] prompt, int[] response, boolean[] policy) {}

  private final ChatRenderer renderer;
  private final HfTokenizer tokenizer;
  private final List<String> stops;

  /**
   * @param stops the strings that end a policy turn ({@code rollout.stop})
   */
  public ConversationIds(ChatTemplate template, HfTokenizer tokenizer, List<String> stops) {
    this.renderer = new ChatRenderer(template, tokenizer);
    this.tokenizer = tokenizer;
    this.stops = List.copyOf(stops);
  }

  /**
   * The ids of {@code messages} with {@code tools} (empty: none).
   *
   * @throws IllegalArgumentException for a conversation that is not prompt, then assistant turns
   *     separated by observations, ending with an assistant message
   */
  public Ids render(List<ChatTemplate.Message> messages, List<Map<String, Object>> tools) {
    int first = -1;
    for (int i = 0; i < messages.size() && first < 0; i++) {
      first = messages.get(i).role().equals("assistant") ? i : -1;
    }
    if (first < 0) {
      throw new IllegalArgumentException("no assistant message: nothing to train on");
    }
    if (first == 0) {
      throw new IllegalArgumentException("the first message is the assistant's; start with user");
    }
    String last = messages.get(messages.size() - 1).role();
    if (!last.equals("assistant")) {
      throw new IllegalArgumentException(
          "the last message is a " + last + " message; end with the assistant's answer");
    }
    TurnRenderer.Transcript transcript = renderer.start(messages.subList(0, first), tools);
    int[] prompt = renderer.promptIds(transcript, null);
    IdList response = new IdList();
    for (int k = first; k < messages.size(); ) {
      int next = k + 1;
      while (next < messages.size() && !messages.get(next).role().equals("assistant")) {
        next++;
      }
      if (next == k + 1 && next < messages.size()) {
        throw new IllegalArgumentException(
            "messages " + (k + 1) + " and " + (k + 2) + " are both the assistant's");
      }
      String content = messages.get(k).content();
      boolean lastTurn = next == messages.size();
      int[] turn = tokenizer.encode(content, false);
      if (lastTurn || !endsAtStop(content)) {
        turn = Arrays.copyOf(turn, turn.length + 1);
        turn[turn.length - 1] = tokenizer.eos();
      }
      response.add(turn, true);
      if (!lastTurn) {
        response.add(renderer.observation(transcript, turn, messages.subList(k + 1, next)), false);
      }
      k = next;
    }
    return new Ids(prompt, response.ids(), response.mask());
  }

  private boolean endsAtStop(String content) {
    for (String s : stops) {
      if (!s.isEmpty() && content.endsWith(s)) {
        return true;
      }
    }
    return false;
  }

  /** Ids with a mask, grown as turns are appended. */
  private static final class IdList {
    private final List<int[]> parts = new ArrayList<>();
    private final List<Boolean> policy = new ArrayList<>();
    private int size;

    void add(int[] ids, boolean byPolicy) {
      parts.add(ids);
      policy.add(byPolicy);
      size += ids.length;
    }

    int[] ids() {
      int[] out = new int[size];
      int at = 0;
      for (int[] p : parts) {
        System.arraycopy(p, 0, out, at, p.length);
        at += p.length;
      }
      return out;
    }

    boolean[] mask() {
      boolean[] out = new boolean[size];
      int at = 0;
      for (int i = 0; i < parts.size(); i++) {
        Arrays.fill(out, at, at + parts.get(i).length, policy.get(i));
        at += parts.get(i).length;
      }
      return out;
    }
  }
}
