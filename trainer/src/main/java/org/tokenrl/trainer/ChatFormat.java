package org.tokenrl.trainer;

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
record ChatFormat(ChatTemplate template, HfTokenizer tokenizer, String system, String instruction) {

  /** The user message of a task prompt. */
  String userText(String prompt) {
    return instruction.isEmpty() ? prompt : prompt + " " + instruction;
  }

  int[] encode(String prompt) {
    List<ChatTemplate.Message> messages = new ArrayList<>();
    if (!system.isEmpty()) {
      messages.add(new ChatTemplate.Message("system", system));
    }
    messages.add(new ChatTemplate.Message("user", userText(prompt)));
    return tokenizer.encode(template.render(messages, true), false);
  }
}
