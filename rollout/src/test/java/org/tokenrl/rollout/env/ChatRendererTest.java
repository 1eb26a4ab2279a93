package org.tokenrl.rollout.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.model.Generation;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.io.Gguf;
import org.tokenrl.model.io.GgufTokenizer;
import org.tokenrl.model.io.KnownModel;
import org.tokenrl.model.io.ModelCache;
import org.tokenrl.rollout.RowSeeds;

/**
 * Multi-turn rollouts through real chat templates (SmolLM2's from its GGUF, Qwen2.5's and Llama
 * 3.2's published ones) with SmolLM2's real tokenizer: the prompt and every appended observation,
 * decoded, spell exactly what the template renders for the whole conversation, so the ids the
 * policy is trained on are the ids of the conversation the template defines. A template that
 * rewrites the assistant's text (Llama's {@code | trim}) takes the delta fallback.
 */
class ChatRendererTest {
  static HfTokenizer tok;
  static String smolTemplate;

  @BeforeAll
  static void load() throws Exception {
    Path gguf =
        ModelCache.standard()
            .fetch(KnownModel.named("smollm2-135m-instruct"), line -> System.err.println(line));
    Gguf g = Gguf.open(gguf);
    tok = GgufTokenizer.load(g);
    smolTemplate = GgufTokenizer.chatTemplate(g);
  }

  static String resource(String name) throws Exception {
    return Files.readString(Path.of("../core/src/test/resources/chat_templates", name));
  }

  /** A policy whose turn t writes {@code turns[t]} with SmolLM2's tokenizer (no sampling). */
  static MultiTurnDriver.TurnSampler scripted(String... turns) {
    return (contexts, params, seeds) -> {
      int[][] out = new int[contexts.length][];
      for (int j = 0; j < contexts.length; j++) {
        int turn = -1;
        for (int t = 0; t < turns.length; t++) {
          if ((t == 0 ? 11 : RowSeeds.mix(11 + t)) == seeds[j]) {
            turn = t; // the driver seeds turn t of a row with seed s by mix(s + t)
          }
        }
        out[j] = tok.encode(turns[turn], false);
      }
      float[][] z = new float[contexts.length][];
      for (int j = 0; j < z.length; j++) {
        z[j] = new float[out[j].length];
      }
      return new Generation(out, z, z, new boolean[contexts.length]);
    };
  }

  /** Runs one row and checks decoded prompt + response against the template's full render. */
  static MultiTurnRollout runAndCheck(
      ChatTemplate template, String call, String answer, String end, boolean exact) {
    ChatRenderer renderer = new ChatRenderer(template, tok);
    MultiTurnSettings settings =
        new MultiTurnSettings(
            3, 200, 2000, List.of("</tool_call>", end), MultiTurnSettings.OnError.FAIL, 30);
    EnvironmentFactory calc = row -> new ToolEnvironment(List.of(new CalculatorTool()));
    List<ChatTemplate.Message> prompt =
        List.of(new ChatTemplate.Message("user", "What is 1234 + 5678?"));
    MultiTurnRollout r;
    try (MultiTurnDriver d = new MultiTurnDriver(settings, calc, renderer)) {
      r =
          d.run(
                  List.of(
                      new MultiTurnDriver.Request(
                          new EnvRow(0, 1, "What is 1234 + 5678?", "6912", prompt, 11),
                          new int[0])),
                  scripted(call + end, answer + end),
                  new SamplingParams(1.0, 0, 1.0, 200, tok.eos(), false, tok.stopIds()),
                  new long[] {11})
              .get(0);
    }
    assertEquals(MultiTurnRollout.End.DONE, r.end(), r.toString());
    assertEquals(2, r.turns().size());
    List<ChatTemplate.Message> conversation = new ArrayList<>(prompt);
    conversation.add(new ChatTemplate.Message("assistant", call));
    conversation.add(new ChatTemplate.Message("tool", "6912"));
    conversation.add(new ChatTemplate.Message("assistant", answer));
    List<java.util.Map<String, Object>> tools = List.of(new CalculatorTool().schema());
    boolean takesTools = template.source().contains("tools");
    if (!takesTools) {
      conversation.add(0, new ChatTemplate.Message("system", ChatRenderer.toolSystemPrompt(tools)));
    }
    String want = template.render(conversation, false, takesTools ? tools : null);
    int[] all = concat(r.promptIds(), r.responseIds());
    String got = tok.decodeWithSpecials(all);
    if (exact) {
      assertTrue(want.startsWith(got), "\nwant: " + want + "\ngot:  " + got);
      String rest = want.substring(got.length());
      assertTrue(rest.equals("\n") || rest.isEmpty(), "after the last turn: [" + rest + "]");
      assertEquals(0, renderer.fallbacks());
    }
    // policy tokens are exactly what the policy wrote, turn by turn
    // (a call ends at </tool_call>: the template's end-of-turn after it is the environment's)
    int[] first = Arrays.copyOfRange(r.responseIds(), r.turns().get(0)[0], r.turns().get(0)[1]);
    assertArrayEquals(tok.encode(call.contains("</tool_call>") ? call : call + end, false), first);
    return r;
  }

  @Test
  void smolLm2TemplateGetsToolsInTheSystemTurn() {
    ChatTemplate t = new ChatTemplate(smolTemplate, "<|im_start|>", "<|im_end|>");
    String call =
        "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"1234 +"
            + " 5678\"}}\n</tool_call>";
    runAndCheck(t, call, "1234 + 5678 = 6912.", "<|im_end|>", true);
  }

  @Test
  void qwen25TemplateRendersToolResponsesInAUserTurn() throws Exception {
    ChatTemplate t = new ChatTemplate(resource("qwen2.5-instruct.jinja"), "", "<|im_end|>");
    String call =
        "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"1234 +"
            + " 5678\"}}\n</tool_call>";
    MultiTurnRollout r = runAndCheck(t, call, "The answer is 6912.", "<|im_end|>", true);
    String observation =
        tok.decodeWithSpecials(
            Arrays.copyOfRange(r.responseIds(), r.turns().get(0)[1], r.turns().get(1)[0]));
    assertEquals(
        "<|im_end|>\n<|im_start|>user\n<tool_response>\n6912\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n",
        observation);
  }

  @Test
  void llama32TemplateWithItsJsonCallsAndIpythonTurns() throws Exception {
    ChatTemplate t =
        new ChatTemplate(resource("llama3.2-instruct.jinja"), "<|begin_of_text|>", "<|eot_id|>");
    String call = "{\"name\": \"calculator\", \"parameters\": {\"expression\": \"1234 + 5678\"}}";
    runAndCheck(t, call, "The answer is 6912.", "<|eot_id|>", true);
  }

  @Test
  void aTemplateThatTrimsTheTurnFallsBackToTheRenderedDelta() throws Exception {
    ChatTemplate t =
        new ChatTemplate(resource("llama3.2-instruct.jinja"), "<|begin_of_text|>", "<|eot_id|>");
    // a trailing space that "| trim" removes: the re-render no longer starts with what was fed
    String call = "{\"name\": \"calculator\", \"parameters\": {\"expression\": \"1234 + 5678\"}} ";
    ChatRenderer renderer = new ChatRenderer(t, tok);
    TurnRenderer.Transcript tr =
        renderer.start(List.of(new ChatTemplate.Message("user", "q")), List.of());
    int[] delta =
        renderer.observation(
            tr,
            tok.encode(call + "<|eot_id|>", false),
            List.of(new ChatTemplate.Message("tool", "6912")));
    assertEquals(1, renderer.fallbacks());
    assertEquals(
        "<|start_header_id|>ipython<|end_header_id|>\n\n\"6912\"<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
        tok.decodeWithSpecials(delta));
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
