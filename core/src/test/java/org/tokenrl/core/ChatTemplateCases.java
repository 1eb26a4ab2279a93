package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders a template over a fixed set of conversations with {@link ChatTemplate} and with Python
 * jinja2 (chat_template_reference.py), and asserts the strings are identical. Shared with model's
 * tests (SmolLM2's template from its GGUF) through core's test-jar.
 */
public final class ChatTemplateCases {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ChatTemplateCases() {}

  /** Conversations: system / no system, single and multi-turn, awkward content. */
  public static List<List<ChatTemplate.Message>> conversations() {
    ChatTemplate.Message sys = new ChatTemplate.Message("system", "You are terse.");
    ChatTemplate.Message u1 = new ChatTemplate.Message("user", "What is the capital of France?");
    ChatTemplate.Message a1 = new ChatTemplate.Message("assistant", "Paris.");
    ChatTemplate.Message u2 =
        new ChatTemplate.Message(
            "user", "  And of Japan?\nAnswer with {{ braces }}, 'quotes', \"double\" & 東京 😀  ");
    return List.of(
        List.of(u1),
        List.of(sys, u1),
        List.of(u1, a1, u2),
        List.of(sys, u1, a1, u2),
        List.of(new ChatTemplate.Message("user", "")));
  }

  /** Asserts Java and Python render every conversation identically, with and without the prompt. */
  public static int assertRendersAsJinja2(String template, String bos, String eos, Path tmp)
      throws Exception {
    ObjectNode spec = JSON.createObjectNode();
    spec.put("template", template);
    spec.put("bos_token", bos);
    spec.put("eos_token", eos);
    ArrayNode cases = spec.putArray("cases");
    List<String> got = new ArrayList<>();
    ChatTemplate t = new ChatTemplate(template, bos, eos);
    for (List<ChatTemplate.Message> conversation : conversations()) {
      for (boolean prompt : new boolean[] {false, true}) {
        ObjectNode c = cases.addObject();
        ArrayNode messages = c.putArray("messages");
        for (ChatTemplate.Message m : conversation) {
          messages.addObject().put("role", m.role()).put("content", m.content());
        }
        c.put("add_generation_prompt", prompt);
        got.add(t.render(conversation, prompt));
      }
    }
    Path specFile = Files.createTempFile(tmp, "chat", ".json");
    JSON.writeValue(specFile.toFile(), spec);
    String script = Files.readString(pythonScript());
    JsonNode want = JSON.readTree(PythonRunner.run(script, specFile.toString()));
    assertEquals(got.size(), want.size());
    for (int i = 0; i < got.size(); i++) {
      assertTrue(want.get(i).isTextual(), "python failed on case " + i + ": " + want.get(i));
      assertEquals(want.get(i).asText(), got.get(i), "case " + i + " of " + cases.get(i));
    }
    return got.size();
  }

  private static Path pythonScript() {
    Path here = Path.of("src/test/python/chat_template_reference.py");
    return Files.exists(here)
        ? here
        : Path.of("../core/src/test/python/chat_template_reference.py");
  }
}
