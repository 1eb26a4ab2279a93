package org.tokenrl.trainer.setup;

import java.util.ArrayList;
import java.util.List;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.HfTokenizer;

/**
 * {@code task.chat = true}: a task prompt becomes one user turn (plus {@code task.instruction}) in
 * the model's chat template, after an optional system message ({@code task.system}; empty = the
 * template's own default), with the assistant's generation prompt; the ids are what transformers'
 * {@code apply_chat_template(..., add_generation_prompt=True)} gives.
 */
public record ChatFormat(
    ChatTemplate template, HfTokenizer tokenizer, String system, String instruction) {

  /**
   * The run's chat format ({@code task.chat}, {@code task.system}, {@code task.instruction}) with
   * the chat template the tokenizer carries (a pretrained model's, also kept in checkpoints, so a
   * resumed run and {@code ./tokenrl eval} render prompts exactly as the run did); null without
   * {@code task.chat}.
   */
  public static ChatFormat of(com.typesafe.config.Config c, org.tokenrl.core.Tokenizer tokenizer) {
    if (!c.getBoolean("task.chat")) {
      return null;
    }
    return of(RunSpec.Chat.from(c), c.getString("model.path"), tokenizer);
  }

  /** The same from the run's {@link RunSpec.Chat} and {@code model.path} (named in the error). */
  public static ChatFormat of(
      RunSpec.Chat chat, String modelPath, org.tokenrl.core.Tokenizer tokenizer) {
    if (!chat.enabled()) {
      return null;
    }
    if (!(tokenizer instanceof HfTokenizer hf) || hf.chatTemplate() == null) {
      throw new org.tokenrl.core.ConfigException(
          "config error: 'task.chat = true' needs model.path (a pretrained model with a chat"
              + " template), got model.path = \""
              + modelPath
              + "\"");
    }
    ChatTemplate template =
        new ChatTemplate(hf.chatTemplate(), hf.specials().bos(), hf.specials().eos());
    return new ChatFormat(template, hf, chat.system(), chat.instruction());
  }

  /** The user message of a task prompt. */
  String userText(String prompt) {
    return instruction.isEmpty() ? prompt : prompt + " " + instruction;
  }

  /**
   * The conversation a prompt becomes, as readable text without the template's tokens: {@code
   * system: ...} (when task.system is set) and the user turn with task.instruction, one per line;
   * the user text alone when there is no system message.
   */
  String text(String prompt) {
    String user = userText(prompt);
    return system.isEmpty() ? user : "system: " + system + "\nuser: " + user;
  }

  /** {@link #text(String)} of a JSONL conversation: every turn as {@code role: content}. */
  String text(List<org.tokenrl.rollout.Example.Turn> conversation) {
    StringBuilder sb = new StringBuilder();
    if (!system.isEmpty() && conversation.stream().noneMatch(t -> t.role().equals("system"))) {
      sb.append("system: ").append(system).append('\n');
    }
    for (int i = 0; i < conversation.size(); i++) {
      org.tokenrl.rollout.Example.Turn t = conversation.get(i);
      boolean last = i == conversation.size() - 1;
      sb.append(i == 0 ? "" : "\n")
          .append(t.role())
          .append(": ")
          .append(last ? userText(t.content()) : t.content());
    }
    return sb.toString();
  }

  int[] encode(String prompt) {
    return tokenizer.encode(template.render(messages(prompt), true), false);
  }

  /** The messages a task prompt becomes: the optional system turn and the user turn. */
  List<ChatTemplate.Message> messages(String prompt) {
    List<ChatTemplate.Message> messages = new ArrayList<>();
    if (!system.isEmpty()) {
      messages.add(new ChatTemplate.Message("system", system));
    }
    messages.add(new ChatTemplate.Message("user", userText(prompt)));
    return messages;
  }

  /**
   * A JSONL conversation as given; {@code task.system} is added only when it has no system turn of
   * its own, and {@code task.instruction} follows its last (user) turn.
   */
  int[] encode(List<org.tokenrl.rollout.Example.Turn> conversation) {
    return tokenizer.encode(template.render(messages(conversation), true), false);
  }

  /** The messages of a JSONL conversation, as {@link #encode(List)} renders them. */
  List<ChatTemplate.Message> messages(List<org.tokenrl.rollout.Example.Turn> conversation) {
    List<ChatTemplate.Message> messages = new ArrayList<>();
    if (!system.isEmpty() && conversation.stream().noneMatch(t -> t.role().equals("system"))) {
      messages.add(new ChatTemplate.Message("system", system));
    }
    for (int i = 0; i < conversation.size(); i++) {
      org.tokenrl.rollout.Example.Turn t = conversation.get(i);
      boolean last = i == conversation.size() - 1;
      messages.add(new ChatTemplate.Message(t.role(), last ? userText(t.content()) : t.content()));
    }
    return messages;
  }
}
