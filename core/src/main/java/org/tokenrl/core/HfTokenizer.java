package org.tokenrl.core;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pretrained model's tokenizer: the Hugging Face {@code tokenizers} library itself (Rust, through
 * DJL's JNI binding, bundled in the jar, offline) running the model's {@code tokenizer.json}.
 * Encoding is HF's default: the tokenizer's post-processor adds what it declares (e.g. Llama 3's
 * BOS) and special tokens written in the text are matched as special tokens; no truncation, no
 * padding. Which tokens are BOS/EOS/PAD comes from the model's other files ({@code
 * tokenizer_config.json}, {@code generation_config.json}, or GGUF metadata), given as {@link
 * Specials}.
 */
public final class HfTokenizer implements Tokenizer {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Which tokens play which role, by their strings.
   *
   * @param bos beginning of sequence, or null when the model has none
   * @param eos end of sequence (the end-of-turn token for chat models)
   * @param pad padding, or null to pad with EOS
   * @param stops further tokens that end generation (besides eos)
   */
  public record Specials(String bos, String eos, String pad, List<String> stops) {
    public Specials {
      stops = stops == null ? List.of() : List.copyOf(stops);
    }
  }

  private final String tokenizerJson;
  private final Specials specials;
  private final HuggingFaceTokenizer native_;
  private final String[] idToToken;
  private final Map<String, Integer> tokenToId;
  private final int bos;
  private final int eos;
  private final int pad;
  private final Set<Integer> stopIds;
  private final String chatTemplate;

  /** {@code source} names the file in errors. */
  public HfTokenizer(String tokenizerJson, Specials specials, String source) throws IOException {
    this.tokenizerJson = tokenizerJson;
    this.specials = specials;
    JsonNode root;
    try {
      root = JSON.readTree(tokenizerJson);
    } catch (IOException e) {
      throw new IOException(source + ": tokenizer.json is not valid JSON");
    }
    tokenToId = vocabulary(root, source);
    int size = 0;
    for (int id : tokenToId.values()) {
      size = Math.max(size, id + 1);
    }
    idToToken = new String[size];
    tokenToId.forEach((t, id) -> idToToken[id] = t);
    try {
      // Truncation defaults to 512 tokens in DJL; a prompt is never cut silently.
      native_ =
          HuggingFaceTokenizer.newInstance(
              new ByteArrayInputStream(tokenizerJson.getBytes(StandardCharsets.UTF_8)),
              Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"));
    } catch (RuntimeException e) {
      throw new IOException(source + ": tokenizers could not load it: " + e.getMessage());
    }
    bos = specials.bos() == null ? -1 : id(specials.bos(), "bos_token", source);
    eos = id(specials.eos(), "eos_token", source);
    pad = specials.pad() == null ? eos : id(specials.pad(), "pad_token", source);
    LinkedHashSet<Integer> stops = new LinkedHashSet<>();
    stops.add(eos);
    for (String s : specials.stops()) {
      stops.add(id(s, "stop token", source));
    }
    stopIds = Collections.unmodifiableSet(stops);
    chatTemplate = null;
  }

  private HfTokenizer(HfTokenizer base, String chatTemplate) {
    this.tokenizerJson = base.tokenizerJson;
    this.specials = base.specials;
    this.native_ = base.native_;
    this.idToToken = base.idToToken;
    this.tokenToId = base.tokenToId;
    this.bos = base.bos;
    this.eos = base.eos;
    this.pad = base.pad;
    this.stopIds = base.stopIds;
    this.chatTemplate = chatTemplate;
  }

  /**
   * The same tokenizer carrying the model's chat template (as transformers' tokenizer carries
   * {@code chat_template}), so a checkpoint's tokenizer JSON keeps it.
   */
  public HfTokenizer withChatTemplate(String template) {
    return new HfTokenizer(this, template);
  }

  /** The model's Jinja chat template, or null. */
  public String chatTemplate() {
    return chatTemplate;
  }

  /**
   * A Hugging Face model directory's tokenizer: {@code tokenizer.json}, special tokens from {@code
   * tokenizer_config.json} (or {@code special_tokens_map.json}), extra stop tokens from {@code
   * generation_config.json}'s {@code eos_token_id}.
   */
  public static HfTokenizer fromDirectory(Path dir) throws IOException {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.exists(file)) {
      throw new IOException(dir + ": no tokenizer.json");
    }
    String json = Files.readString(file);
    JsonNode config = readJsonIfExists(dir.resolve("tokenizer_config.json"));
    JsonNode map = readJsonIfExists(dir.resolve("special_tokens_map.json"));
    String bos = tokenString(config, map, "bos_token");
    String eos = tokenString(config, map, "eos_token");
    String pad = tokenString(config, map, "pad_token");
    if (eos == null) {
      throw new IOException(dir.resolve("tokenizer_config.json") + ": no eos_token");
    }
    HfTokenizer base =
        new HfTokenizer(json, new Specials(bos, eos, pad, List.of()), file.toString());
    // generation_config.json may list several end ids (Llama 3: <|end_of_text|>, <|eot_id|>).
    JsonNode gen = readJsonIfExists(dir.resolve("generation_config.json"));
    List<String> stops = new java.util.ArrayList<>();
    if (gen != null) {
      JsonNode ids = gen.path("eos_token_id");
      for (JsonNode id : ids.isArray() ? ids : JSON.createArrayNode().add(ids)) {
        if (id.canConvertToInt()
            && id.asInt() >= 0
            && id.asInt() < base.idToToken.length
            && base.idToToken[id.asInt()] != null) {
          stops.add(base.idToToken[id.asInt()]);
        }
      }
    }
    return stops.isEmpty()
        ? base
        : new HfTokenizer(json, new Specials(bos, eos, pad, stops), file.toString());
  }

  private static JsonNode readJsonIfExists(Path file) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON");
    }
  }

  /** A special token is a string or an AddedToken object {@code {"content": ...}}. */
  private static String tokenString(JsonNode config, JsonNode map, String key) {
    for (JsonNode source : new JsonNode[] {config, map}) {
      if (source == null) {
        continue;
      }
      JsonNode v = source.path(key);
      if (v.isTextual()) {
        return v.asText();
      }
      if (v.isObject() && v.path("content").isTextual()) {
        return v.path("content").asText();
      }
    }
    return null;
  }

  /** Token string to id: the model's vocabulary and the added tokens. */
  private static Map<String, Integer> vocabulary(JsonNode root, String source) throws IOException {
    Map<String, Integer> ids = new HashMap<>();
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      vocab.fields().forEachRemaining(e -> ids.put(e.getKey(), e.getValue().asInt()));
    } else if (vocab.isArray()) {
      // Unigram: [[piece, score], ...], the id is the position.
      for (int i = 0; i < vocab.size(); i++) {
        ids.put(vocab.get(i).get(0).asText(), i);
      }
    } else {
      throw new IOException(source + ": tokenizer.json has no model.vocab");
    }
    for (JsonNode added : root.path("added_tokens")) {
      ids.put(added.path("content").asText(), added.path("id").asInt());
    }
    return ids;
  }

  private int id(String token, String role, String source) throws IOException {
    Integer id = tokenToId.get(token);
    if (id == null) {
      throw new IOException(source + ": " + role + " '" + token + "' is not in the vocabulary");
    }
    return id;
  }

  @Override
  public int[] encode(String text) {
    return encode(text, true);
  }

  @Override
  public int[] encodePlain(String text) {
    return encode(text, false);
  }

  /**
   * With {@code addSpecialTokens} false the post-processor adds nothing (what transformers does for
   * a rendered chat template, which already holds its BOS); special tokens in the text still match.
   */
  public int[] encode(String text, boolean addSpecialTokens) {
    Encoding e = native_.encode(text, addSpecialTokens, false);
    long[] ids = e.getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  @Override
  public String decode(int[] ids) {
    return native_.decode(Arrays.stream(ids).asLongStream().toArray(), true);
  }

  /** Decodes keeping special tokens (e.g. to show a rendered chat prompt). */
  public String decodeWithSpecials(int[] ids) {
    return native_.decode(Arrays.stream(ids).asLongStream().toArray(), false);
  }

  @Override
  public String token(int id) {
    if (id < 0 || id >= idToToken.length || idToToken[id] == null) {
      throw new IllegalArgumentException("token id " + id + " is not in the vocabulary");
    }
    return idToToken[id];
  }

  /** The id of a token string, or -1. */
  public int idOf(String token) {
    return tokenToId.getOrDefault(token, -1);
  }

  @Override
  public int vocabSize() {
    return idToToken.length;
  }

  @Override
  public int bos() {
    return bos;
  }

  @Override
  public int eos() {
    return eos;
  }

  @Override
  public int pad() {
    return pad;
  }

  @Override
  public Set<Integer> stopIds() {
    return stopIds;
  }

  public Specials specials() {
    return specials;
  }

  /** The tokenizer.json this tokenizer runs. */
  public String tokenizerJson() {
    return tokenizerJson;
  }

  /**
   * {@code {"type": "hf", "tokenizer": <tokenizer.json>, "bos_token": .., "eos_token": ..,
   * "pad_token": .., "stop_tokens": [..]}}.
   */
  @Override
  public String toJson() {
    try {
      ObjectNode node = JSON.createObjectNode();
      node.put("type", "hf");
      node.set("tokenizer", JSON.readTree(tokenizerJson));
      node.put("bos_token", specials.bos());
      node.put("eos_token", specials.eos());
      node.put("pad_token", specials.pad());
      ArrayNode stops = node.putArray("stop_tokens");
      specials.stops().forEach(stops::add);
      if (chatTemplate != null) {
        node.put("chat_template", chatTemplate);
      }
      return node.toString();
    } catch (IOException e) {
      throw new IllegalStateException("tokenizer.json was valid when loaded", e);
    }
  }

  static HfTokenizer fromToJson(JsonNode node) throws IOException {
    List<String> stops = new java.util.ArrayList<>();
    node.path("stop_tokens").forEach(s -> stops.add(s.asText()));
    HfTokenizer t =
        new HfTokenizer(
            node.path("tokenizer").toString(),
            new Specials(
                textOrNull(node.path("bos_token")),
                textOrNull(node.path("eos_token")),
                textOrNull(node.path("pad_token")),
                stops),
            "tokenizer JSON");
    return node.path("chat_template").isTextual()
        ? t.withChatTemplate(node.path("chat_template").asText())
        : t;
  }

  private static String textOrNull(JsonNode n) {
    return n.isTextual() ? n.asText() : null;
  }
}
