package org.tokenrl.rollout.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.PythonRunner;
import org.tokenrl.model.SamplingParams;

/**
 * Demonstrations rendered for SFT are the ids a multi-turn rollout of the same conversation gives
 * (SmolLM2's real template and tokenizer), and equal Python jinja2 + tokenizers' rendering of the
 * whole conversation, with the assistant's tokens (and only those) marked.
 */
class ConversationIdsTest {
  @TempDir Path tmp;
  static ChatTemplate smol;

  @BeforeAll
  static void load() throws Exception {
    ChatRendererTest.load();
    smol = new ChatTemplate(ChatRendererTest.smolTemplate, "<|im_start|>", "<|im_end|>");
  }

  static final String CALL =
      "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"1234 +"
          + " 5678\"}}\n</tool_call>";

  static ChatTemplate.Message m(String role, String content) {
    return new ChatTemplate.Message(role, content);
  }

  @Test
  void aDemonstrationGetsExactlyTheIdsAndMaskOfTheRolloutThatWritesIt() {
    List<ChatTemplate.Message> prompt = List.of(m("user", "What is 1234 + 5678?"));
    String answer = "1234 + 5678 = 6912.";
    MultiTurnRollout r;
    MultiTurnSettings settings =
        new MultiTurnSettings(
            3, 200, 2000, List.of("</tool_call>"), MultiTurnSettings.OnError.FAIL, 30);
    EnvironmentFactory calc = row -> new ToolEnvironment(List.of(new CalculatorTool()));
    var tok = ChatRendererTest.tok;
    try (MultiTurnDriver d = new MultiTurnDriver(settings, calc, new ChatRenderer(smol, tok))) {
      r =
          d.run(
                  List.of(
                      new MultiTurnDriver.Request(
                          new EnvRow(0, 1, "What is 1234 + 5678?", "6912", prompt, 11),
                          new int[0])),
                  ChatRendererTest.scripted(CALL, answer + "<|im_end|>"),
                  new SamplingParams(1.0, 0, 1.0, 200, tok.eos(), false, tok.stopIds()),
                  new long[] {11})
              .get(0);
    }
    assertEquals(MultiTurnRollout.End.DONE, r.end(), r.toString());
    List<ChatTemplate.Message> demo = new ArrayList<>(prompt);
    demo.add(m("assistant", CALL));
    demo.add(m("tool", "6912")); // what the calculator answered in the rollout
    demo.add(m("assistant", answer));
    ConversationIds.Ids ids =
        new ConversationIds(smol, tok, List.of("</tool_call>"))
            .render(demo, List.of(new CalculatorTool().schema()));
    assertArrayEquals(r.promptIds(), ids.prompt());
    assertArrayEquals(r.responseIds(), ids.response());
    assertArrayEquals(r.lossMask(), ids.policy());
  }

  private static final String REFERENCE =
      String.join(
          "\n",
          "import json, sys, jinja2",
          "from tokenizers import Tokenizer",
          "template, tokenizer, conversations = sys.argv[1:4]",
          "env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)",
          "def raise_exception(m): raise Exception(m)",
          "env.globals['raise_exception'] = raise_exception",
          "env.filters['tojson'] = lambda x, indent=None: json.dumps(x, indent=indent)",
          "t = env.from_string(open(template).read())",
          "tok = Tokenizer.from_file(tokenizer)",
          "def render(ms, gen):",
          "    return t.render(messages=ms, add_generation_prompt=gen,",
          "                    bos_token='<|im_start|>', eos_token='<|im_end|>')",
          "for ms in json.load(open(conversations)):",
          "    first = [m['role'] for m in ms].index('assistant')",
          "    full = render(ms, False)",
          "    spans = []  # where each assistant turn's own text is: content (+ <|im_end|>)",
          "    for k, m in enumerate(ms):",
          "        if m['role'] != 'assistant': continue",
          "        start = len(render(ms[:k], True))",
          "        assert full[start:].startswith(m['content'])",
          "        end = start + len(m['content'])",
          "        last = k == len(ms) - 1",
          "        if last or not m['content'].endswith('</tool_call>'):",
          "            end += len('<|im_end|>')",
          "        spans.append((start, end))",
          "    e = tok.encode(full, add_special_tokens=False)",
          "    mask = [any(s <= a and b <= z for s, z in spans) for a, b in e.offsets]",
          "    prompt = tok.encode(render(ms[:first], True), add_special_tokens=False).ids",
          "    print(json.dumps({'prompt': prompt, 'ids': e.ids, 'mask': mask}))");

  @Test
  void demonstrationsRenderAsJinja2AndTokenizersWithOnlyTheAssistantMarked() throws Exception {
    List<List<ChatTemplate.Message>> conversations =
        List.of(
            // no system message: the template's default one
            List.of(
                m("user", "What is 1234 + 5678? Use the calculator tool."),
                m("assistant", CALL),
                m("tool", "6912"),
                m("assistant", "The answer is 6912.")),
            // a system message, two calls, an answer the user follows up on
            List.of(
                m("system", "You are a careful assistant."),
                m("user", "What is 999 + 1, then times 3?"),
                m(
                    "assistant",
                    "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\":"
                        + " \"999 + 1\"}}\n</tool_call>"),
                m("tool", "1000"),
                m(
                    "assistant",
                    "<tool_call>{\"name\": \"calculator\", \"arguments\": {\"expression\":"
                        + " \"1000 * 3\"}}</tool_call>"),
                m("tool", "3000"),
                m("assistant", "It is 3000."),
                m("user", "And minus 7?"),
                m("assistant", "2993")),
            // plain chat, no tools: every assistant turn ends with its end-of-turn
            List.of(
                m("user", "Say hi."),
                m("assistant", " Hi there!"),
                m("user", "Again, in French."),
                m("assistant", "Salut ! Ça va ?")));
    Path template = tmp.resolve("smol.jinja");
    Files.writeString(template, ChatRendererTest.smolTemplate);
    Path tokenizer = tmp.resolve("tokenizer.json");
    Files.writeString(tokenizer, ChatRendererTest.tok.tokenizerJson());
    Path file = tmp.resolve("conversations.json");
    ObjectMapper json = new ObjectMapper();
    List<List<Map<String, String>>> plain = new ArrayList<>();
    for (var c : conversations) {
      plain.add(c.stream().map(x -> Map.of("role", x.role(), "content", x.content())).toList());
    }
    json.writeValue(file.toFile(), plain);
    String[] lines =
        PythonRunner.run(REFERENCE, template.toString(), tokenizer.toString(), file.toString())
            .split("\n");
    assertEquals(conversations.size(), lines.length);
    ConversationIds renderer =
        new ConversationIds(smol, ChatRendererTest.tok, List.of("</tool_call>"));
    int newline = ChatRendererTest.tok.encode("\n", false)[0];
    for (int i = 0; i < lines.length; i++) {
      JsonNode want = json.readTree(lines[i]);
      ConversationIds.Ids got = renderer.render(conversations.get(i), List.of());
      int[] prompt = ints(want.get("prompt"));
      int[] all = ints(want.get("ids"));
      assertArrayEquals(prompt, got.prompt(), "prompt of conversation " + i);
      // jinja2's render ends with "\n" after the last <|im_end|>; a rollout ends at <|im_end|>.
      assertEquals(newline, all[all.length - 1]);
      assertEquals(prompt.length + got.response().length, all.length - 1, "conversation " + i);
      int trained = 0;
      for (int t = 0; t < got.response().length; t++) {
        assertEquals(all[prompt.length + t], got.response()[t], "conversation " + i + " id " + t);
        boolean assistant = want.get("mask").get(prompt.length + t).asBoolean();
        assertEquals(assistant, got.policy()[t], "conversation " + i + " mask at " + t);
        trained += assistant ? 1 : 0;
      }
      assertTrue(trained > 0 && trained < got.response().length, "some of each: " + trained);
    }
  }

  @Test
  void aConversationThatIsNotPromptThenAssistantTurnsIsRefusedWithWhatIsWrong() {
    ConversationIds renderer =
        new ConversationIds(smol, ChatRendererTest.tok, List.of("</tool_call>"));
    String none =
        assertThrows(
                IllegalArgumentException.class,
                () -> renderer.render(List.of(m("user", "hi")), List.of()))
            .getMessage();
    assertTrue(none.contains("no assistant message"), none);
    String trailing =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    renderer.render(
                        List.of(m("user", "hi"), m("assistant", CALL), m("tool", "1")), List.of()))
            .getMessage();
    assertTrue(trailing.contains("last message is a tool message"), trailing);
    String twice =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    renderer.render(
                        List.of(m("user", "hi"), m("assistant", "a"), m("assistant", "b")),
                        List.of()))
            .getMessage();
    assertTrue(twice.contains("both the assistant's"), twice);
  }

  private static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }
}
