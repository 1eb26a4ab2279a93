package org.tokenrl.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * Writes a Hugging Face model directory that transformers ({@code LlamaForCausalLM}), vLLM and
 * llama.cpp's converter read: {@code config.json}, {@code model.safetensors} (HF names, F32 or
 * BF16, {@code format = pt}), {@code tokenizer.json}, {@code tokenizer_config.json} (special tokens
 * and the chat template), {@code special_tokens_map.json} and {@code generation_config.json}. The
 * directory is built beside {@code out} and renamed into place.
 */
public final class HfExport {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private HfExport() {}

  /**
   * @param weights HF names as {@link LlamaWeights#shapes} lists them (checked)
   * @param chatTemplate Jinja source or null
   */
  public static void write(
      Path out,
      LlamaConfig config,
      Map<String, float[]> weights,
      HfTokenizer tokenizer,
      String chatTemplate,
      SafeTensors.DType dtype)
      throws IOException {
    if (dtype == SafeTensors.DType.F16) {
      throw new IllegalArgumentException("export writes bf16 or fp32");
    }
    LinkedHashMap<String, long[]> shapes = LlamaWeights.shapes(config);
    LinkedHashMap<String, float[]> ordered =
        LlamaWeights.checked(config, weights, shapesOf(weights, shapes), "weights to export");
    Path target = out.toAbsolutePath().normalize();
    if (Files.exists(target)) {
      throw new IOException(target + " already exists; export writes a new directory");
    }
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".tmp-");
    try {
      JSON.writeValue(
          tmp.resolve("config.json").toFile(),
          HfConfig.toJson(config, tokenizer.bos(), tokenizer.eos())
              .put("torch_dtype", dtype == SafeTensors.DType.BF16 ? "bfloat16" : "float32"));
      SafeTensors.write(
          tmp.resolve("model.safetensors"), ordered, shapes, Map.of("format", "pt"), dtype);
      Files.writeString(tmp.resolve("tokenizer.json"), tokenizer.tokenizerJson());
      JSON.writeValue(
          tmp.resolve("tokenizer_config.json").toFile(),
          tokenizerConfig(tokenizer, chatTemplate, config));
      JSON.writeValue(tmp.resolve("special_tokens_map.json").toFile(), specialTokens(tokenizer));
      JSON.writeValue(tmp.resolve("generation_config.json").toFile(), generationConfig(tokenizer));
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target);
      }
    } finally {
      FileTrees.deleteRecursively(tmp);
    }
  }

  private static Map<String, long[]> shapesOf(
      Map<String, float[]> weights, Map<String, long[]> expected) {
    // Flat arrays carry no shape; a name with the expected length gets the expected shape, a
    // wrong length gets a shape the check reports.
    Map<String, long[]> s = new LinkedHashMap<>();
    weights.forEach(
        (name, w) -> {
          long[] e = expected.get(name);
          long n = 1;
          if (e != null) {
            for (long d : e) {
              n *= d;
            }
          }
          s.put(name, e != null && n == w.length ? e : new long[] {w.length});
        });
    return s;
  }

  private static ObjectNode tokenizerConfig(
      HfTokenizer tokenizer, String chatTemplate, LlamaConfig config) {
    ObjectNode o = JSON.createObjectNode();
    o.put("tokenizer_class", "PreTrainedTokenizerFast");
    putToken(o, "bos_token", tokenizer.specials().bos());
    putToken(o, "eos_token", tokenizer.specials().eos());
    putToken(o, "pad_token", tokenizer.token(tokenizer.pad()));
    o.put("add_bos_token", false);
    o.put("add_eos_token", false);
    o.put("clean_up_tokenization_spaces", false);
    o.put("model_max_length", config.maxPositionEmbeddings());
    if (chatTemplate != null) {
      o.put("chat_template", chatTemplate);
    }
    return o;
  }

  private static ObjectNode specialTokens(HfTokenizer tokenizer) {
    ObjectNode o = JSON.createObjectNode();
    putToken(o, "bos_token", tokenizer.specials().bos());
    putToken(o, "eos_token", tokenizer.specials().eos());
    putToken(o, "pad_token", tokenizer.token(tokenizer.pad()));
    return o;
  }

  private static ObjectNode generationConfig(HfTokenizer tokenizer) {
    ObjectNode o = JSON.createObjectNode();
    if (tokenizer.bos() >= 0) {
      o.put("bos_token_id", tokenizer.bos());
    }
    List<Integer> stops = new ArrayList<>(tokenizer.stopIds());
    if (stops.size() == 1) {
      o.put("eos_token_id", stops.get(0));
    } else {
      ArrayNode a = o.putArray("eos_token_id");
      stops.forEach(a::add);
    }
    o.put("pad_token_id", tokenizer.pad());
    return o;
  }

  private static void putToken(ObjectNode o, String key, String token) {
    if (token == null) {
      o.putNull(key);
    } else {
      o.put(key, token);
    }
  }
}
