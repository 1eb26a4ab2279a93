package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HfTokenizer} against the Python {@code tokenizers} package on the same tokenizer.json (a
 * byte-level BPE trained by that package, with a BOS-adding post-processor and special tokens), on
 * a varied corpus: English, code, digits, whitespace runs, tabs/newlines, emoji, CJK, accents and
 * special tokens written in the text.
 */
class HfTokenizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  /** Writes the corpus resource to a file, runs the reference script; one JSON per text. */
  static List<JsonNode> reference(String tokenizerJsonFile, Path corpus) throws Exception {
    String script = Files.readString(Path.of("src/test/python/hf_tokenizer_reference.py"));
    String out = PythonRunner.run(script, "encode", tokenizerJsonFile, corpus.toString());
    List<JsonNode> rows = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        rows.add(JSON.readTree(line));
      }
    }
    return rows;
  }

  static Path corpusFile(Path dir) throws IOException {
    Path corpus = dir.resolve("corpus.json");
    try (var in = HfTokenizerTest.class.getResourceAsStream("/tokenizer_corpus.json")) {
      Files.write(corpus, in.readAllBytes());
    }
    return corpus;
  }

  static List<String> corpus(Path corpusFile) throws IOException {
    List<String> texts = new ArrayList<>();
    JSON.readTree(corpusFile.toFile()).forEach(n -> texts.add(n.asText()));
    return texts;
  }

  @Test
  void idsTokensAndDecodeEqualPythonTokenizersOnAVariedCorpus() throws Exception {
    Path corpus = corpusFile(tmp);
    Path tokenizerFile = tmp.resolve("tokenizer.json");
    String script = Files.readString(Path.of("src/test/python/hf_tokenizer_reference.py"));
    PythonRunner.run(script, "train", tokenizerFile.toString(), corpus.toString());
    HfTokenizer tok =
        new HfTokenizer(
            Files.readString(tokenizerFile),
            new HfTokenizer.Specials("<|im_start|>", "<|im_end|>", null, List.of("<|endoftext|>")),
            tokenizerFile.toString());
    List<String> texts = corpus(corpus);
    List<JsonNode> want = reference(tokenizerFile.toString(), corpus);
    assertEquals(texts.size(), want.size());
    int roundTrips = 0;
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      JsonNode w = want.get(i);
      int[] ids = tok.encode(text);
      assertArrayEquals(ints(w.path("ids")), ids, "ids of: " + text);
      assertArrayEquals(ints(w.path("ids_plain")), tok.encode(text, false), "plain ids: " + text);
      List<String> tokens = new ArrayList<>();
      w.path("tokens").forEach(t -> tokens.add(t.asText()));
      assertEquals(tokens, tok.tokens(ids), "tokens of: " + text);
      assertEquals(w.path("decoded").asText(), tok.decode(ids), "decode of: " + text);
      if (!text.contains("<|")) {
        assertEquals(text, tok.decode(ids), "round trip");
        roundTrips++;
      }
    }
    assertTrue(roundTrips >= 25, "round trips checked: " + roundTrips);
    // Special tokens in the text are matched as special tokens (one id each).
    int[] chat = tok.encode("<|im_start|>user<|im_end|>", false);
    assertEquals(tok.bos(), chat[0]);
    assertEquals(tok.eos(), chat[chat.length - 1]);
    assertEquals(Set.of(tok.eos(), 0), tok.stopIds());
    assertEquals(tok.eos(), tok.pad());
    // A long input is not truncated (DJL's default would cut at 512).
    String longText = "word ".repeat(2000);
    assertTrue(tok.encode(longText).length > 2000);

    Tokenizer back = Tokenizers.fromJson(tok.toJson());
    assertArrayEquals(ids(tok, texts), ids(back, texts));
    assertEquals(tok.stopIds(), back.stopIds());
  }

  @Test
  void directoryFilesGiveTheSpecialTokens() throws Exception {
    Path corpus = corpusFile(tmp);
    String script = Files.readString(Path.of("src/test/python/hf_tokenizer_reference.py"));
    PythonRunner.run(script, "train", tmp.resolve("tokenizer.json").toString(), corpus.toString());
    Files.writeString(
        tmp.resolve("tokenizer_config.json"),
        "{\"bos_token\": {\"content\": \"<|im_start|>\", \"special\": true},"
            + " \"eos_token\": \"<|im_end|>\", \"pad_token\": \"<|endoftext|>\"}");
    Files.writeString(tmp.resolve("generation_config.json"), "{\"eos_token_id\": [2, 0]}");
    HfTokenizer tok = HfTokenizer.fromDirectory(tmp);
    assertEquals(1, tok.bos());
    assertEquals(2, tok.eos());
    assertEquals(0, tok.pad());
    assertEquals(Set.of(0, 2), tok.stopIds());

    Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|nope|>\"}");
    IOException e = assertThrows(IOException.class, () -> HfTokenizer.fromDirectory(tmp));
    assertTrue(e.getMessage().contains("eos_token '<|nope|>'"), e.getMessage());
  }

  private static int[] ids(Tokenizer t, List<String> texts) {
    List<Integer> all = new ArrayList<>();
    for (String s : texts) {
      for (int id : t.encode(s)) {
        all.add(id);
      }
    }
    return all.stream().mapToInt(Integer::intValue).toArray();
  }

  static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
