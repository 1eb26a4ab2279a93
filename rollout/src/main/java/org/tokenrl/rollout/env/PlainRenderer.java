package org.tokenrl.rollout.env;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.Tokenizer;

/**
 * For a model without a chat template (e.g. tokenrl's character-level models): the prompt ids are
 * the task's own, and each observation message is appended as {@code <tool_response>CONTENT
 * </tool_response>} (printable ASCII, so a character tokenizer spells it). Tools are not rendered:
 * the task's prompt must say how to call them.
 */
public final class PlainRenderer implements TurnRenderer {
  public static final String OPEN = "<tool_response>";
  public static final String CLOSE = "</tool_response>";
  private final Tokenizer tokenizer;

  public PlainRenderer(Tokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  @Override
  public Transcript start(List<ChatTemplate.Message> messages, List<Map<String, Object>> tools) {
    return new Transcript(messages, "", tools);
  }

  @Override
  public int[] promptIds(Transcript transcript, int[] requestIds) {
    return requestIds;
  }

  @Override
  public String text(int[] ids) {
    return tokenizer.decode(ids);
  }

  @Override
  public String rawText(int[] ids) {
    return tokenizer.decode(ids);
  }

  @Override
  public int[] observation(
      Transcript transcript, int[] ids, List<ChatTemplate.Message> observation) {
    StringBuilder text = new StringBuilder();
    for (ChatTemplate.Message m : observation) {
      text.append(OPEN).append(m.content()).append(CLOSE);
    }
    List<ChatTemplate.Message> messages = new ArrayList<>(transcript.messages);
    messages.add(new ChatTemplate.Message("assistant", text(ids)));
    messages.addAll(observation);
    transcript.messages = List.copyOf(messages);
    return tokenizer.encodePlain(text.toString());
  }
}
