package org.tokenrl.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import org.tokenrl.core.HfTokenizer;

/**
 * Rebuilds the Hugging Face {@code tokenizer.json} a GGUF file was converted from, out of its
 * {@code tokenizer.ggml.*} metadata: the vocabulary and merges make the BPE model, control tokens
 * (type 3) become special added tokens, and {@code tokenizer.ggml.pre} names the pre-tokenizer
 * (llama.cpp's names for the split regexes of the original tokenizer.json files). Only byte-level
 * BPE ({@code tokenizer.ggml.model = gpt2}) with a pre-tokenizer we can state exactly is accepted.
 */
public final class GgufTokenizer {
  private static final ObjectMapper JSON = new ObjectMapper();

  // The split patterns of the original tokenizer.json files (Llama 3 and Qwen2), verbatim.
  private static final String LLAMA3_SPLIT =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
          + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  private static final String QWEN2_SPLIT =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
          + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  /** tokenizer.ggml.pre values we map. */
  public static final List<String> PRE_TOKENIZERS =
      List.of("gpt2", "gpt-2", "smollm", "llama-bpe", "llama3", "llama-v3", "qwen2");

  private GgufTokenizer() {}

  /** The tokenizer and its special tokens, ready to run. */
  public static HfTokenizer load(Gguf g) throws IOException {
    List<String> tokens = tokens(g);
    String json = tokenizerJson(g);
    return new HfTokenizer(json, specials(g, tokens), g.path().toString());
  }

  /** BOS/EOS/PAD from {@code tokenizer.ggml.*_token_id}; EOS also from {@code eot_token_id}. */
  static HfTokenizer.Specials specials(Gguf g, List<String> tokens) throws IOException {
    String bos = tokenAt(g, tokens, "tokenizer.ggml.bos_token_id");
    String eos = tokenAt(g, tokens, "tokenizer.ggml.eos_token_id");
    String pad = tokenAt(g, tokens, "tokenizer.ggml.padding_token_id");
    String eot = tokenAt(g, tokens, "tokenizer.ggml.eot_token_id");
    if (eos == null) {
      throw new IOException(g.path() + ": no tokenizer.ggml.eos_token_id");
    }
    return new HfTokenizer.Specials(
        bos, eos, pad, eot == null || eot.equals(eos) ? List.of() : List.of(eot));
  }

  private static String tokenAt(Gguf g, List<String> tokens, String key) throws IOException {
    Object v = g.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Long id) || id < 0 || id >= tokens.size()) {
      throw new IOException(g.path() + ": " + key + " = " + v + " is not a token id");
    }
    return tokens.get(Math.toIntExact(id));
  }

  @SuppressWarnings("unchecked")
  private static List<String> tokens(Gguf g) throws IOException {
    Object t = g.get("tokenizer.ggml.tokens");
    if (!(t instanceof List<?> list) || list.isEmpty() || !(list.get(0) instanceof String)) {
      throw new IOException(g.path() + ": no tokenizer.ggml.tokens (the file has no tokenizer)");
    }
    return (List<String>) list;
  }

  /** The equivalent tokenizer.json, as a string. */
  @SuppressWarnings("unchecked")
  public static String tokenizerJson(Gguf g) throws IOException {
    Object model = g.get("tokenizer.ggml.model");
    if (!"gpt2".equals(model)) {
      throw new IOException(
          g.path()
              + ": tokenizer.ggml.model '"
              + model
              + "' is not supported (only gpt2, the"
              + " byte-level BPE of GPT-2/Llama 3/Qwen2/SmolLM)");
    }
    Object pre = g.get("tokenizer.ggml.pre");
    if (!(pre instanceof String preName) || !PRE_TOKENIZERS.contains(preName)) {
      throw new IOException(
          g.path()
              + ": tokenizer.ggml.pre '"
              + pre
              + "' is not supported; supported: "
              + String.join(", ", PRE_TOKENIZERS));
    }
    List<String> tokens = tokens(g);
    Object typesValue = g.get("tokenizer.ggml.token_type");
    List<Long> types = typesValue instanceof List<?> l ? (List<Long>) l : List.of();
    Object mergesValue = g.get("tokenizer.ggml.merges");
    if (!(mergesValue instanceof List<?> merges)) {
      throw new IOException(g.path() + ": no tokenizer.ggml.merges");
    }

    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int id = 0; id < tokens.size(); id++) {
      long type = id < types.size() ? types.get(id) : 1;
      if (type == 3 || type == 4) { // control, user-defined
        ObjectNode a = added.addObject();
        a.put("id", id);
        a.put("content", tokens.get(id));
        a.put("single_word", false);
        a.put("lstrip", false);
        a.put("rstrip", false);
        a.put("normalized", false);
        a.put("special", type == 3);
      }
    }
    if (preName.equals("qwen2")) {
      root.putObject("normalizer").put("type", "NFC"); // as Qwen2's tokenizer.json
    } else {
      root.putNull("normalizer");
    }
    root.set("pre_tokenizer", preTokenizer(preName));
    root.set("post_processor", postProcessor(g, tokens));
    ObjectNode decoder = root.putObject("decoder");
    decoder.put("type", "ByteLevel");
    decoder.put("add_prefix_space", true);
    decoder.put("trim_offsets", true);
    decoder.put("use_regex", true);
    ObjectNode bpe = root.putObject("model");
    bpe.put("type", "BPE");
    bpe.putNull("dropout");
    String unk = tokenAt(g, tokens, "tokenizer.ggml.unknown_token_id");
    if (unk == null) {
      bpe.putNull("unk_token");
    } else {
      bpe.put("unk_token", unk);
    }
    bpe.putNull("continuing_subword_prefix");
    bpe.putNull("end_of_word_suffix");
    bpe.put("fuse_unk", false);
    bpe.put("byte_fallback", false);
    // llama.cpp and Llama 3's tokenizer.json take a whole pre-token found in the vocabulary as is.
    bpe.put("ignore_merges", preName.startsWith("llama"));
    ObjectNode vocab = bpe.putObject("vocab");
    for (int id = 0; id < tokens.size(); id++) {
      vocab.put(tokens.get(id), id);
    }
    ArrayNode mergeList = bpe.putArray("merges");
    for (Object m : merges) {
      mergeList.add((String) m);
    }
    return JSON.writeValueAsString(root);
  }

  private static ObjectNode preTokenizer(String pre) {
    ObjectNode seq = JSON.createObjectNode();
    seq.put("type", "Sequence");
    ArrayNode list = seq.putArray("pretokenizers");
    switch (pre) {
      case "gpt2", "gpt-2" -> {
        return byteLevel(true);
      }
      case "smollm" -> {
        // Digits one by one, then GPT-2's split (SmolLM2's tokenizer.json).
        ObjectNode digits = list.addObject();
        digits.put("type", "Digits");
        digits.put("individual_digits", true);
        list.add(byteLevel(true));
      }
      default -> {
        ObjectNode split = list.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", pre.equals("qwen2") ? QWEN2_SPLIT : LLAMA3_SPLIT);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        list.add(byteLevel(false));
      }
    }
    return seq;
  }

  private static ObjectNode byteLevel(boolean useRegex) {
    ObjectNode b = JSON.createObjectNode();
    b.put("type", "ByteLevel");
    b.put("add_prefix_space", false);
    b.put("trim_offsets", true);
    b.put("use_regex", useRegex);
    return b;
  }

  /** Adds BOS/EOS around a sequence when the GGUF says so (Llama 3 adds BOS), else nothing. */
  private static ObjectNode postProcessor(Gguf g, List<String> tokens) throws IOException {
    boolean addBos = Boolean.TRUE.equals(g.get("tokenizer.ggml.add_bos_token"));
    boolean addEos = Boolean.TRUE.equals(g.get("tokenizer.ggml.add_eos_token"));
    ObjectNode p = JSON.createObjectNode();
    if (!addBos && !addEos) {
      p.put("type", "ByteLevel");
      p.put("add_prefix_space", true);
      p.put("trim_offsets", false);
      p.put("use_regex", true);
      return p;
    }
    String bos = tokenAt(g, tokens, "tokenizer.ggml.bos_token_id");
    String eos = tokenAt(g, tokens, "tokenizer.ggml.eos_token_id");
    p.put("type", "TemplateProcessing");
    ArrayNode single = p.putArray("single");
    ArrayNode pair = p.putArray("pair");
    ObjectNode specialTokens = p.putObject("special_tokens");
    for (int seq = 0; seq < 2; seq++) {
      ArrayNode target = seq == 0 ? single : pair;
      for (int part = 0; part <= seq; part++) {
        if (addBos) {
          special(target, bos, part);
        }
        target
            .addObject()
            .putObject("Sequence")
            .put("id", part == 0 ? "A" : "B")
            .put("type_id", part);
        if (addEos) {
          special(target, eos, part);
        }
      }
    }
    for (String t : addBos && addEos ? List.of(bos, eos) : addBos ? List.of(bos) : List.of(eos)) {
      if (t == null) {
        throw new IOException(g.path() + ": add_bos/add_eos is set but the token id is missing");
      }
      ObjectNode s = specialTokens.putObject(t);
      s.put("id", t);
      s.putArray("ids").add(tokens.indexOf(t));
      s.putArray("tokens").add(t);
    }
    return p;
  }

  private static void special(ArrayNode target, String token, int typeId) {
    target.addObject().putObject("SpecialToken").put("id", token).put("type_id", typeId);
  }

  /** The chat template stored in the file ({@code tokenizer.chat_template}), or null. */
  public static String chatTemplate(Gguf g) {
    Object t = g.get("tokenizer.chat_template");
    return t instanceof String s ? s : null;
  }
}
