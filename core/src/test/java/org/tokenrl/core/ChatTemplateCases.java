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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    return assertRenders(template, bos, eos, conversations(), null, tmp);
  }

  /** The calculator tool's JSON schema, as a tool-calling template receives it. */
  public static List<Map<String, Object>> calculatorTools() {
    Map<String, Object> expression = new LinkedHashMap<>();
    expression.put("type", "string");
    expression.put("description", "An arithmetic expression, e.g. \"12 * (3 + 4)\"");
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("type", "object");
    parameters.put("properties", Map.of("expression", expression));
    parameters.put("required", List.of("expression"));
    Map<String, Object> function = new LinkedHashMap<>();
    function.put("name", "calculator");
    function.put("description", "Evaluates arithmetic exactly: + - * / ^ and parentheses.");
    function.put("parameters", parameters);
    Map<String, Object> tool = new LinkedHashMap<>();
    tool.put("type", "function");
    tool.put("function", function);
    return List.of(tool);
  }

  /**
   * Multi-turn tool conversations: a call written the way {@code call} formats it, its result as a
   * {@code tool} message, an error result, two results in a row, a final answer and a next user
   * turn.
   */
  public static List<List<ChatTemplate.Message>> toolConversations(
      java.util.function.Function<String, String> call) {
    ChatTemplate.Message sys = new ChatTemplate.Message("system", "Use the calculator.");
    ChatTemplate.Message u1 = new ChatTemplate.Message("user", "What is 1234 + 5678?");
    ChatTemplate.Message c1 = new ChatTemplate.Message("assistant", call.apply("1234 + 5678"));
    ChatTemplate.Message r1 = new ChatTemplate.Message("tool", "6912");
    ChatTemplate.Message a1 = new ChatTemplate.Message("assistant", "1234 + 5678 = 6912.");
    ChatTemplate.Message u2 = new ChatTemplate.Message("user", "And 7 / 0, then 2 ^ 10?");
    ChatTemplate.Message c2 = new ChatTemplate.Message("assistant", call.apply("7 / 0"));
    ChatTemplate.Message r2 = new ChatTemplate.Message("tool", "error: division by zero");
    ChatTemplate.Message r3 = new ChatTemplate.Message("tool", "{\"result\": 1024}");
    return List.of(
        List.of(u1),
        List.of(sys, u1),
        List.of(u1, c1, r1),
        List.of(sys, u1, c1, r1, a1),
        List.of(u1, c1, r1, a1, u2, c2, r2, r3));
  }

  /**
   * Asserts Java and Python render every tool conversation identically, with and without the
   * generation prompt, and with and without {@code tools}.
   */
  public static int assertToolConversationsRenderAsJinja2(
      String template,
      String bos,
      String eos,
      java.util.function.Function<String, String> call,
      Path tmp)
      throws Exception {
    return assertRenders(template, bos, eos, toolConversations(call), calculatorTools(), tmp)
        + assertRenders(template, bos, eos, toolConversations(call), null, tmp);
  }

  private static int assertRenders(
      String template,
      String bos,
      String eos,
      List<List<ChatTemplate.Message>> conversations,
      List<Map<String, Object>> tools,
      Path tmp)
      throws Exception {
    ObjectNode spec = JSON.createObjectNode();
    spec.put("template", template);
    spec.put("bos_token", bos);
    spec.put("eos_token", eos);
    ArrayNode cases = spec.putArray("cases");
    List<String> got = new ArrayList<>();
    ChatTemplate t = new ChatTemplate(template, bos, eos);
    for (List<ChatTemplate.Message> conversation : conversations) {
      for (boolean prompt : new boolean[] {false, true}) {
        ObjectNode c = cases.addObject();
        ArrayNode messages = c.putArray("messages");
        for (ChatTemplate.Message m : conversation) {
          messages.addObject().put("role", m.role()).put("content", m.content());
        }
        c.put("add_generation_prompt", prompt);
        if (tools != null) {
          c.set("tools", JSON.valueToTree(tools));
        }
        got.add(t.render(conversation, prompt, tools));
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

  /** A template kept in core's test resources (chat_templates/NAME). */
  public static String resourceTemplate(String name) throws java.io.IOException {
    Path here = Path.of("src/test/resources/chat_templates", name);
    return Files.readString(
        Files.exists(here) ? here : Path.of("../core/src/test/resources/chat_templates", name));
  }

  private static Path pythonScript() {
    Path here = Path.of("src/test/python/chat_template_reference.py");
    return Files.exists(here)
        ? here
        : Path.of("../core/src/test/python/chat_template_reference.py");
  }
}
