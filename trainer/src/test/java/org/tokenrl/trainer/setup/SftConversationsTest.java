package org.tokenrl.trainer.setup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.model.io.Gguf;
import org.tokenrl.model.io.GgufTokenizer;
import org.tokenrl.model.io.KnownModel;
import org.tokenrl.model.io.ModelCache;
import org.tokenrl.rollout.env.CalculatorTool;
import org.tokenrl.rollout.env.ChatRenderer;
import org.tokenrl.trainer.loop.TrainingRunTest;

/**
 * sft.data with SmolLM2's real tokenizer and template: TRL rows load (with {@code tool_calls} and
 * the environment's tools), and bad input is one line naming sft.data or the file and line.
 */
class SftConversationsTest {
  @TempDir Path tmp;
  static HfTokenizer tok;
  static String template;

  @BeforeAll
  static void load() throws Exception {
    Path gguf = ModelCache.standard().fetch(KnownModel.named("smollm2-135m-instruct"), l -> {});
    Gguf g = Gguf.open(gguf);
    template = GgufTokenizer.chatTemplate(g);
    tok = GgufTokenizer.load(g).withChatTemplate(template); // as the run's tokenizer carries it
  }

  private static Config config(String... overrides) {
    Path root = TrainingRunTest.ROOT;
    return ConfigLoader.load(
            root.resolve("configs"),
            root.resolve("experiments/multi-turn/calculator.conf"),
            List.of(overrides))
        .config();
  }

  private static final String DEMO =
      "{\"messages\": [{\"role\": \"user\", \"content\": \"What is 12 + 30?\"},"
          + " {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"type\":"
          + " \"function\", \"function\": {\"name\": \"calculator\", \"arguments\":"
          + " \"{\\\"expression\\\": \\\"12 + 30\\\"}\"}}]},"
          + " {\"role\": \"tool\", \"content\": \"42\"},"
          + " {\"role\": \"assistant\", \"content\": \"42\"}]}";

  @Test
  void trlRowsLoadWithToolCallsAsTextAndTheEnvironmentsToolsInThePrompt() throws Exception {
    Path file = tmp.resolve("demos.jsonl");
    Files.writeString(file, DEMO + "\n\n" + DEMO + "\n");
    List<SftConversations.Row> rows = SftConversations.load(config("sft.data=" + file), tmp, tok);
    assertEquals(2, rows.size(), "blank lines are skipped");
    assertEquals(file + ":1", rows.get(0).where());
    // The prompt is the rollout's: the user turn after the calculator's description.
    ChatRenderer renderer =
        new ChatRenderer(new ChatTemplate(template, "<|im_start|>", "<|im_end|>"), tok);
    var transcript =
        renderer.start(
            List.of(new ChatTemplate.Message("user", "What is 12 + 30?")),
            List.of(new CalculatorTool().schema()));
    assertArrayEquals(renderer.promptIds(transcript, null), rows.get(0).ids().prompt());
    String response = tok.decodeWithSpecials(rows.get(0).ids().response());
    assertTrue(
        response.startsWith(
            "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"12 +"
                + " 30\"}}\n</tool_call><|im_end|>\n<|im_start|>tool\n42<|im_end|>"),
        response);
    assertTrue(response.endsWith("<|im_start|>assistant\n42<|im_end|>"), response);

    // Without rollout.env, no tools: the template's own default system turn.
    List<SftConversations.Row> plain =
        SftConversations.load(config("sft.data=" + file, "rollout.env.name=\"\""), tmp, tok);
    assertTrue(
        tok.decodeWithSpecials(plain.get(0).ids().prompt()).contains("named SmolLM"),
        tok.decodeWithSpecials(plain.get(0).ids().prompt()));
  }

  @Test
  void aMissingFileOrABadRowIsOneLineNamingIt() throws Exception {
    ConfigException missing =
        assertThrows(
            ConfigException.class,
            () -> SftConversations.load(config("sft.data=nope.jsonl"), tmp, tok));
    assertTrue(
        missing.getMessage().startsWith("config error: sft.data = nope.jsonl: no such file"));
    Path file = tmp.resolve("bad.jsonl");
    List<String[]> cases =
        List.of(
            new String[] {"{\"prompt\": \"x\"}", "needs \"messages\""},
            new String[] {
              "{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", "role \"robot\""
            },
            new String[] {
              "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", "no assistant message"
            },
            new String[] {
              "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"},"
                  + " {\"role\": \"assistant\", \"content\": 3}]}",
              "needs a string \"content\""
            },
            new String[] {"{\"messages\": [", "bad.jsonl:2"});
    for (String[] c : cases) {
      Files.writeString(file, DEMO + "\n" + c[0] + "\n");
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () -> SftConversations.load(config("sft.data=" + file), tmp, tok));
      assertTrue(e.getMessage().startsWith(file + ":2"), e.getMessage());
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
      assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
  }
}
