package org.tokenrl.rollout.env;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.core.PyJson;

/**
 * Renders a multi-turn conversation with the model's chat template so that the ids the policy is
 * trained on are exactly the ids it was fed.
 *
 * <p>After a policy turn, the whole conversation (with the turn as an assistant message and the
 * observation appended) is rendered again. When that text starts with the text the row's ids
 * already spell (prompt, earlier turns, this turn's sampled tokens with their special tokens), only
 * the rest, the delta, is tokenized and appended: earlier ids are never re-tokenized. A template
 * that does not reproduce its earlier output as a prefix (one that trims or rewrites assistant
 * turns, e.g. Llama 3's {@code | trim}) gets the delta from a fixed two-message conversation
 * instead: what the template writes after an assistant message (minus the end-of-turn token the
 * policy already sampled), then the observation and the generation prompt. {@link #fallbacks()}
 * counts those.
 *
 * <p>Tools go into the template's {@code tools} variable when the template uses one (Qwen2.5's,
 * Llama 3's); otherwise (SmolLM2's) they are described in the system message, in the same {@code
 * <tools>} / {@code <tool_call>} form.
 */
public final class ChatRenderer implements TurnRenderer {
  private static final String MARK = "TOKENRL_ASSISTANT_CONTENT";
  private final ChatTemplate template;
  private final HfTokenizer tokenizer;
  private final boolean templateTakesTools;
  private final AtomicLong fallbacks = new AtomicLong();

  public ChatRenderer(ChatTemplate template, HfTokenizer tokenizer) {
    this.template = template;
    this.tokenizer = tokenizer;
    this.templateTakesTools = template.source().contains("tools");
  }

  /**
   * The system-message text that describes tools to a template without a {@code tools} variable.
   */
  public static String toolSystemPrompt(List<Map<String, Object>> tools) {
    StringBuilder s =
        new StringBuilder(
            "You can call tools. Their signatures are between <tools></tools> tags:\n<tools>");
    for (Map<String, Object> t : tools) {
      s.append('\n').append(PyJson.dumps(t, -1));
    }
    s.append(
        "\n</tools>\n\nTo call one, write a JSON object with its name and arguments between"
            + " <tool_call></tool_call> tags:\n<tool_call>\n{\"name\": <tool-name>, \"arguments\":"
            + " <args-json-object>}\n</tool_call>");
    return s.toString();
  }

  @Override
  public Transcript start(List<ChatTemplate.Message> messages, List<Map<String, Object>> tools) {
    List<ChatTemplate.Message> ms = new ArrayList<>(messages);
    if (!tools.isEmpty() && !templateTakesTools) {
      String description = toolSystemPrompt(tools);
      if (!ms.isEmpty() && ms.get(0).role().equals("system")) {
        ms.set(0, new ChatTemplate.Message("system", ms.get(0).content() + "\n\n" + description));
      } else {
        ms.add(0, new ChatTemplate.Message("system", description));
      }
    }
    Transcript t = new Transcript(ms, null, tools);
    t.text = render(t, ms);
    return t;
  }

  @Override
  public int[] promptIds(Transcript transcript, int[] requestIds) {
    return tokenizer.encode(transcript.text, false);
  }

  /**
   * The turn's text without special tokens and without a trailing end-of-turn text (the template's
   * eos token, when the tokenizer spells it as ordinary text): the assistant message's content.
   */
  @Override
  public String text(int[] ids) {
    String text = tokenizer.decode(ids);
    String eos = template.eosToken();
    return !eos.isEmpty() && text.endsWith(eos)
        ? text.substring(0, text.length() - eos.length())
        : text;
  }

  @Override
  public String rawText(int[] ids) {
    return tokenizer.decodeWithSpecials(ids);
  }

  @Override
  public int[] observation(
      Transcript transcript, int[] ids, List<ChatTemplate.Message> observation) {
    String seen = transcript.text + rawText(ids);
    List<ChatTemplate.Message> messages = new ArrayList<>(transcript.messages);
    messages.add(new ChatTemplate.Message("assistant", text(ids)));
    messages.addAll(observation);
    String full = render(transcript, messages);
    String delta;
    if (full.startsWith(seen)) {
      delta = full.substring(seen.length());
    } else {
      fallbacks.incrementAndGet();
      delta = isolatedDelta(ids, observation);
    }
    transcript.messages = List.copyOf(messages);
    transcript.text = seen + delta;
    return tokenizer.encode(delta, false);
  }

  @Override
  public long fallbacks() {
    return fallbacks.get();
  }

  private String render(Transcript t, List<ChatTemplate.Message> messages) {
    return template.render(
        messages, true, templateTakesTools && !t.tools.isEmpty() ? t.tools : null);
  }

  /** The delta rendered after a fixed user + assistant pair, for templates that rewrite turns. */
  private String isolatedDelta(int[] ids, List<ChatTemplate.Message> observation) {
    List<ChatTemplate.Message> base =
        List.of(new ChatTemplate.Message("user", "?"), new ChatTemplate.Message("assistant", MARK));
    String closed = template.render(base, false, null);
    int at = closed.lastIndexOf(MARK);
    if (at < 0) {
      throw new EnvironmentException(
          "the chat template drops the assistant's message; cannot append tool results");
    }
    String closing = closed.substring(at + MARK.length());
    String sampled = rawText(ids);
    for (int k = closing.length(); k > 0; k--) {
      if (sampled.endsWith(closing.substring(0, k))) {
        closing = closing.substring(k); // the policy already wrote e.g. <|eot_id|>
        break;
      }
    }
    List<ChatTemplate.Message> withObservation = new ArrayList<>(base);
    withObservation.addAll(observation);
    String after = template.render(withObservation, true, null);
    if (!after.startsWith(closed)) {
      throw new EnvironmentException(
          "the chat template renders earlier turns differently once a tool message follows;"
              + " cannot append tool results as a delta");
    }
    return closing + after.substring(closed.length());
  }
}
