package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat templates rendered by jinjava equal Python jinja2's renders (as transformers sets it up).
 */
class ChatTemplateTest {
  @TempDir Path tmp;

  /** Meta's Llama 3 Instruct template (filter before +, bos_token, index0). */
  static final String LLAMA3 =
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content ="
          + " '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+"
          + " message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content"
          + " = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if"
          + " add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n'"
          + " }}{% endif %}";

  /** Qwen2 Instruct's template (default system prompt when none is given). */
  static final String QWEN2 =
      "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{"
          + " '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif"
          + " %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' +"
          + " '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%"
          + " endif %}";

  /** Block tags on their own, indented lines: trim_blocks and lstrip_blocks decide the output. */
  static final String MULTILINE =
      String.join(
          "\n",
          "{{ bos_token }}",
          "{% for message in messages %}",
          "    {% if message['role'] == 'system' %}",
          "<<SYS>>{{ message['content'] }}<</SYS>>",
          "    {% elif message['role'] == 'user' %}",
          "[INST] {{ message['content'] | trim }} [/INST]",
          "    {% else %}",
          "  {{ message['content'] }}{{ eos_token }}",
          "    {% endif %}",
          "{% endfor %}",
          "{% if add_generation_prompt %}",
          "  ASSISTANT:",
          "{% endif %}",
          "");

  @Test
  void llama3StyleTemplate() throws Exception {
    assertEquals(
        10,
        ChatTemplateCases.assertRendersAsJinja2(LLAMA3, "<|begin_of_text|>", "<|eot_id|>", tmp));
  }

  @Test
  void qwen2StyleTemplate() throws Exception {
    assertEquals(10, ChatTemplateCases.assertRendersAsJinja2(QWEN2, null + "", "<|im_end|>", tmp));
  }

  @Test
  void trimAndLstripBlocks() throws Exception {
    assertEquals(10, ChatTemplateCases.assertRendersAsJinja2(MULTILINE, "<s>", "</s>", tmp));
  }

  /** Qwen2.5 Instruct's tool template: tools in the system turn, results as user tool_response. */
  @Test
  void qwen25ToolConversations() throws Exception {
    String template = ChatTemplateCases.resourceTemplate("qwen2.5-instruct.jinja");
    assertEquals(
        20,
        ChatTemplateCases.assertToolConversationsRenderAsJinja2(
            template,
            "",
            "<|im_end|>",
            e ->
                "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \""
                    + e
                    + "\"}}\n</tool_call>",
            tmp));
  }

  /**
   * Llama 3.2 Instruct's tool template: tools as indented JSON in the first user turn, results as
   * ipython turns (a string result through tojson, as jinja2 treats strings as iterable).
   */
  @Test
  void llama32ToolConversations() throws Exception {
    String template = ChatTemplateCases.resourceTemplate("llama3.2-instruct.jinja");
    assertEquals(
        20,
        ChatTemplateCases.assertToolConversationsRenderAsJinja2(
            template,
            "<|begin_of_text|>",
            "<|eot_id|>",
            e -> "{\"name\": \"calculator\", \"parameters\": {\"expression\": \"" + e + "\"}}",
            tmp));
  }

  @Test
  void tojsonIsPythonsJsonDumps() {
    java.util.Map<String, Object> tool = new java.util.LinkedHashMap<>();
    tool.put("type", "function");
    tool.put("n", java.util.Arrays.asList(1, 2.5, true, null, "\"q\" \u00e9\n"));
    tool.put("e", java.util.Map.of());
    ChatTemplate t =
        new ChatTemplate("{{ tools | tojson }}|{{ tools[0] | tojson(indent=2) }}", "", "");
    String oneLine =
        "[{\"type\": \"function\", \"n\": [1, 2.5, true, null, \"\\\"q\\\" \u00e9\\n"
            + "\"], \"e\": {}}]";
    String indented =
        "{\n  \"type\": \"function\",\n  \"n\": [\n    1,\n    2.5,\n    true,\n    null,\n"
            + "    \"\\\"q\\\" \u00e9\\n\"\n  ],\n  \"e\": {}\n}";
    assertEquals(oneLine + "|" + indented, t.render(List.of(), false, List.of(tool)));
  }

  @Test
  void raiseExceptionAbortsWithTheTemplatesMessage() {
    ChatTemplate t =
        new ChatTemplate(
            "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversation roles must"
                + " start with user') }}{% endif %}ok",
            "", "");
    assertEquals("ok", t.render(List.of(new ChatTemplate.Message("user", "x")), false));
    ChatTemplate.TemplateException e =
        assertThrows(
            ChatTemplate.TemplateException.class,
            () -> t.render(List.of(new ChatTemplate.Message("system", "x")), false));
    assertEquals("Conversation roles must start with user", e.getMessage());
  }
}
