package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.io.KnownModel;
import org.tokenrl.model.io.ModelCache;
import org.tokenrl.model.io.PretrainedModel;

/**
 * {@code model.path}: a pretrained model (HF directory, .gguf file, or known name) gives the run
 * its architecture (llama), shape, tokenizer and initial weights. {@code model.*} keys a config
 * sets itself (anywhere but base.conf's defaults) must agree with the files; a disagreement is one
 * line naming the key and both values.
 */
public final class PretrainedStart {
  /** HOCON key under {@code model} to the file's value. */
  private static final Map<String, Function<LlamaConfig, Object>> KEYS = new LinkedHashMap<>();

  static {
    KEYS.put("vocab_size", LlamaConfig::vocabSize);
    KEYS.put("hidden_size", LlamaConfig::hiddenSize);
    KEYS.put("intermediate_size", LlamaConfig::intermediateSize);
    KEYS.put("num_hidden_layers", LlamaConfig::numHiddenLayers);
    KEYS.put("num_attention_heads", LlamaConfig::numAttentionHeads);
    KEYS.put("num_key_value_heads", LlamaConfig::numKeyValueHeads);
    KEYS.put("head_dim", LlamaConfig::headDim);
    KEYS.put("rms_norm_eps", LlamaConfig::rmsNormEps);
    KEYS.put("rope_theta", LlamaConfig::ropeTheta);
    KEYS.put("tie_word_embeddings", LlamaConfig::tieWordEmbeddings);
    KEYS.put("max_position_embeddings", LlamaConfig::maxPositionEmbeddings);
    KEYS.put("attention_bias", LlamaConfig::attentionBias);
  }

  private PretrainedStart() {}

  /** Loads {@code model.path} (relative paths from the project root) and checks the model keys. */
  public static PretrainedModel load(Config c, Path projectRoot, Consumer<String> progress) {
    String value = c.getString("model.path");
    try {
      PretrainedModel m = PretrainedModel.load(resolve(value, projectRoot, progress));
      checkAgreement(c, m.config(), value);
      return m;
    } catch (IOException e) {
      throw new IllegalArgumentException("model.path = " + value + ": " + e.getMessage());
    }
  }

  /**
   * The file or directory {@code model.path = value} names: a known name always means the
   * (verified) cache entry, fetched on first use, never a folder that happens to be called the same
   * here (write ./name for that); anything else is a path relative to the project root.
   */
  static Path resolve(String value, Path projectRoot, Consumer<String> progress)
      throws IOException {
    Path local = projectRoot.resolve(value);
    boolean known = KnownModel.named(value) != null;
    return !known && Files.exists(local) ? local : ModelCache.standard().resolve(value, progress);
  }

  static void checkAgreement(Config c, LlamaConfig file, String path) {
    if (setByConfig(c, "model.arch") && !c.getString("model.arch").equals("llama")) {
      throw new IllegalArgumentException(
          "model.arch = "
              + c.getString("model.arch")
              + " ("
              + where(c, "model.arch")
              + ") disagrees with model.path = "
              + path
              + ", a llama model");
    }
    for (Map.Entry<String, Function<LlamaConfig, Object>> e : KEYS.entrySet()) {
      String key = "model." + e.getKey();
      if (!setByConfig(c, key)) {
        continue;
      }
      Object want = e.getValue().apply(file);
      boolean agrees;
      if (want instanceof Integer i) {
        agrees = c.getInt(key) == i || (key.equals("model.head_dim") && c.getInt(key) == 0);
      } else if (want instanceof Double d) {
        agrees = Math.abs(c.getDouble(key) - d) <= 1e-9 * Math.abs(d);
      } else {
        agrees = c.getBoolean(key) == (Boolean) want;
      }
      if (!agrees) {
        throw new IllegalArgumentException(
            key
                + " = "
                + c.getValue(key).unwrapped()
                + " ("
                + where(c, key)
                + ") disagrees with "
                + e.getKey()
                + " = "
                + want
                + " of model.path = "
                + path
                + "; remove the key or make it match");
      }
    }
  }

  /** A key counts as set unless its value comes from base.conf's defaults. */
  private static boolean setByConfig(Config c, String key) {
    if (!c.hasPath(key)) {
      return false;
    }
    ConfigValue v = c.getValue(key);
    String file = v.origin().filename();
    String resource = v.origin().resource();
    String origin = file != null ? file : resource != null ? resource : v.origin().description();
    return origin == null || !origin.endsWith("base.conf");
  }

  private static String where(Config c, String key) {
    var origin = c.getValue(key).origin();
    String name =
        origin.filename() != null
            ? Path.of(origin.filename()).getFileName().toString()
            : origin.description();
    return origin.lineNumber() > 0 ? name + ":" + origin.lineNumber() : name;
  }
}
