package org.tokenrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.core.PythonRunner;
import org.tokenrl.model.arch.LlamaConfig;

/** The real SmolLM2-135M-Instruct GGUF against the Python gguf and tokenizers packages. */
class SmolLm2GgufTest {
  @TempDir Path tmp;

  @Test
  void everyTensorEqualsGgufsDequantisationAndTheShapeIsSmolLm2s() throws Exception {
    Path file = SmolLm2.gguf();
    long start = System.nanoTime();
    Gguf g = Gguf.open(file);
    LlamaConfig c = GgufModels.config(g);
    Map<String, float[]> hf = GgufModels.weights(g, c);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.err.printf(
        "SmolLM2 GGUF: header + dequantise + unpermute of 272 tensors: %.2f s%n", seconds);

    assertEquals(272, g.tensors().size());
    assertEquals(134_515_008L, g.parameterCount());
    assertEquals(LlamaConfig.smollm2135m(), c);
    assertEquals(c.parameterCount(), hf.values().stream().mapToLong(w -> w.length).sum());
    assertEquals(LlamaWeights.shapes(c).keySet(), hf.keySet());

    // Expected: sha256 of gguf's float32 dequantisation of each tensor.
    String script = Files.readString(Path.of("src/test/python/smollm2_hashes.py"));
    Map<String, String> want = new HashMap<>();
    for (String line : PythonRunner.run(script, file.toString()).split("\n")) {
      String[] f = line.split(" ");
      want.put(f[0], f[3]);
    }
    int checked = 0;
    for (Gguf.TensorInfo t : g.tensors()) {
      assertEquals(want.get(t.name()), sha256(g.read(t)), t.name() + " (" + t.type() + ")");
      checked++;
    }
    assertEquals(272, checked);
    for (String name :
        List.of(
            "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight")) {
      assertEquals(want.get("hf:" + name), sha256(hf.get(name)), name);
    }
  }

  @Test
  void ggufTokenizerJsonGivesPythonTokenizersIds() throws Exception {
    Path file = SmolLm2.gguf();
    Gguf g = Gguf.open(file);
    HfTokenizer tok = GgufTokenizer.load(g);
    assertEquals(49152, tok.vocabSize());
    assertEquals(1, tok.bos());
    assertEquals(2, tok.eos());
    assertEquals(2, tok.pad());
    assertEquals("<|endoftext|>", tok.token(0));
    Path json = tmp.resolve("tokenizer.json");
    Files.writeString(json, tok.tokenizerJson());
    Path corpus = tmp.resolve("corpus.json");
    try (var in = getClass().getResourceAsStream("/tokenizer_corpus.json")) {
      Files.write(corpus, in.readAllBytes());
    }
    ObjectMapper mapper = new ObjectMapper();
    List<String> texts = new ArrayList<>();
    mapper.readTree(corpus.toFile()).forEach(n -> texts.add(n.asText()));
    String script = Files.readString(Path.of("../core/src/test/python/hf_tokenizer_reference.py"));
    String[] lines =
        PythonRunner.run(script, "encode", json.toString(), corpus.toString()).split("\n");
    assertEquals(texts.size(), lines.length);
    int tokens = 0;
    for (int i = 0; i < texts.size(); i++) {
      JsonNode w = mapper.readTree(lines[i]);
      int[] ids = tok.encode(texts.get(i));
      int[] expected = new int[w.path("ids").size()];
      for (int k = 0; k < expected.length; k++) {
        expected[k] = w.path("ids").get(k).asInt();
      }
      assertArrayEquals(expected, ids, texts.get(i));
      assertEquals(w.path("decoded").asText(), tok.decode(ids));
      if (!texts.get(i).contains("<|")) {
        assertEquals(texts.get(i), tok.decode(ids));
      }
      tokens += ids.length;
    }
    System.err.println("SmolLM2 tokenizer: " + texts.size() + " texts, " + tokens + " ids equal");
    // SmolLM2 splits digits one by one; special tokens in the text are single ids.
    assertEquals(List.of("1", "2", "3"), tok.tokens(tok.encode("123")));
    assertArrayEquals(new int[] {1, 4093, 2}, tok.encode("<|im_start|>user<|im_end|>"));
  }

  private static String sha256(float[] values) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
  }

  @Test
  void chatTemplateFromTheGgufRendersAsJinja2() throws Exception {
    Gguf g = Gguf.open(SmolLm2.gguf());
    String template = GgufTokenizer.chatTemplate(g);
    assertTrue(template.contains("You are a helpful AI assistant named SmolLM"), template);
    assertEquals(
        10,
        org.tokenrl.core.ChatTemplateCases.assertRendersAsJinja2(
            template, "<|im_start|>", "<|im_end|>", tmp));
  }

  /**
   * Multi-turn tool conversations in SmolLM2's template (no {@code tools} variable of its own: tool
   * results are plain {@code tool} turns) render as jinja2 does, and the rendered texts tokenize to
   * Python {@code tokenizers}' ids.
   */
  @Test
  void toolConversationsRenderAndTokenizeAsPython() throws Exception {
    Gguf g = Gguf.open(SmolLm2.gguf());
    String template = GgufTokenizer.chatTemplate(g);
    java.util.function.Function<String, String> call =
        e ->
            "<tool_call>{\"name\": \"calculator\", \"arguments\": {\"expression\": \""
                + e
                + "\"}}</tool_call>";
    assertEquals(
        20,
        org.tokenrl.core.ChatTemplateCases.assertToolConversationsRenderAsJinja2(
            template, "<|im_start|>", "<|im_end|>", call, tmp));
    HfTokenizer tok = GgufTokenizer.load(g);
    Path json = tmp.resolve("tokenizer.json");
    Files.writeString(json, tok.tokenizerJson());
    org.tokenrl.core.ChatTemplate t =
        new org.tokenrl.core.ChatTemplate(template, "<|im_start|>", "<|im_end|>");
    List<String> texts = new ArrayList<>();
    for (var conversation : org.tokenrl.core.ChatTemplateCases.toolConversations(call)) {
      texts.add(t.render(conversation, true));
    }
    Path corpus = tmp.resolve("tool_corpus.json");
    ObjectMapper mapper = new ObjectMapper();
    mapper.writeValue(corpus.toFile(), texts);
    String script = Files.readString(Path.of("../core/src/test/python/hf_tokenizer_reference.py"));
    String[] lines =
        PythonRunner.run(script, "encode", json.toString(), corpus.toString()).split("\n");
    assertEquals(texts.size(), lines.length);
    for (int i = 0; i < texts.size(); i++) {
      JsonNode w = mapper.readTree(lines[i]);
      int[] expected = new int[w.path("ids").size()];
      for (int k = 0; k < expected.length; k++) {
        expected[k] = w.path("ids").get(k).asInt();
      }
      assertArrayEquals(expected, tok.encode(texts.get(i)), texts.get(i));
    }
  }
}
