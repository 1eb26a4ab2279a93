package org.tokenrl.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * A pretrained model as read from a Hugging Face directory or a GGUF file: its shape, its weights
 * under HF names ({@link LlamaWeights}, float32, q/k in HF's rotary layout), its tokenizer and chat
 * template. This is what {@code Policy.importWeights} and the chat renderer consume.
 *
 * @param chatTemplate Jinja source, or null when the model has none (also carried by the tokenizer)
 */
public record PretrainedModel(
    LlamaConfig config,
    LinkedHashMap<String, float[]> weights,
    HfTokenizer tokenizer,
    String chatTemplate,
    Path source) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public PretrainedModel {
    if (tokenizer.vocabSize() > config.vocabSize()) {
      // Models may pad the embedding beyond the tokenizer (Qwen2), never the other way round.
      throw new IllegalArgumentException(
          source
              + ": the tokenizer has "
              + tokenizer.vocabSize()
              + " tokens but vocab_size is "
              + config.vocabSize());
    }
  }

  /** Reads an HF directory or a GGUF file; a tokenrl checkpoint is refused with a pointer. */
  public static PretrainedModel load(Path path) throws IOException {
    return switch (ModelSource.detect(path)) {
      case HF_DIRECTORY -> fromHfDirectory(path);
      case GGUF_FILE -> fromGguf(path);
      case TOKENRL_CHECKPOINT ->
          throw new IOException(
              path
                  + " is a tokenrl checkpoint, not a pretrained model: set run.init_from to it"
                  + " (and model.path to the model it was trained from), or convert it with"
                  + " ./tokenrl export "
                  + path
                  + " --hf OUT");
    };
  }

  /** Only the tokenizer with its chat template (no weights are read). */
  public static HfTokenizer loadTokenizer(Path path) throws IOException {
    return switch (ModelSource.detect(path)) {
      case HF_DIRECTORY -> HfTokenizer.fromDirectory(path).withChatTemplate(chatTemplate(path));
      case GGUF_FILE -> {
        Gguf g = Gguf.open(path);
        yield GgufTokenizer.load(g).withChatTemplate(GgufTokenizer.chatTemplate(g));
      }
      case TOKENRL_CHECKPOINT ->
          throw new IOException(
              path
                  + " is a tokenrl checkpoint, not a pretrained model (give the model it was"
                  + " trained from, or export the checkpoint with ./tokenrl export)");
    };
  }

  private static PretrainedModel fromHfDirectory(Path dir) throws IOException {
    LlamaConfig config = HfConfig.read(dir.resolve("config.json"));
    SafeTensors.Contents c = SafeTensors.readModel(dir);
    LinkedHashMap<String, float[]> weights =
        LlamaWeights.checked(config, c.tensors(), c.shapes(), dir.toString());
    String template = chatTemplate(dir);
    HfTokenizer tokenizer = HfTokenizer.fromDirectory(dir).withChatTemplate(template);
    return new PretrainedModel(config, weights, tokenizer, template, dir);
  }

  public static PretrainedModel fromGguf(Path file) throws IOException {
    Gguf g = Gguf.open(file);
    LlamaConfig config = GgufModels.config(g);
    String template = GgufTokenizer.chatTemplate(g);
    HfTokenizer tokenizer = GgufTokenizer.load(g).withChatTemplate(template);
    return new PretrainedModel(config, GgufModels.weights(g, config), tokenizer, template, file);
  }

  /**
   * {@code chat_template.jinja} (newer transformers), else tokenizer_config.json's {@code
   * chat_template}: a string, or a list of named templates of which "default" is used.
   */
  static String chatTemplate(Path dir) throws IOException {
    Path jinja = dir.resolve("chat_template.jinja");
    if (Files.exists(jinja)) {
      return Files.readString(jinja);
    }
    Path config = dir.resolve("tokenizer_config.json");
    if (!Files.exists(config)) {
      return null;
    }
    JsonNode t = JSON.readTree(config.toFile()).path("chat_template");
    if (t.isTextual()) {
      return t.asText();
    }
    for (JsonNode named : t) {
      if (named.path("name").asText().equals("default")) {
        return named.path("template").asText();
      }
    }
    return null;
  }

  /**
   * The same with LoRA adapters on the (frozen) loaded weights; adapters drawn from {@code seed}.
   */
  public Policy newPolicy(OptimizerConfig optimizer, LoraConfig lora, long seed) {
    Policy policy = Policy.createForImport(config, optimizer, lora, seed);
    policy.importWeights(weights);
    if (lora.enabled()) {
      try {
        policy.setBaseModel(BaseModel.of(source)); // LoRA checkpoints then hold the adapters only
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return policy;
  }

  /** A float32 llama policy holding these weights (they replace the seeded initialisation). */
  public Policy newPolicy(OptimizerConfig optimizer) {
    Policy policy = Policy.createForImport(config, optimizer, LoraConfig.NONE, 0L);
    policy.importWeights(weights);
    return policy;
  }

  /** The model's chat template with its BOS/EOS token strings. */
  public ChatTemplate chat() throws IOException {
    if (chatTemplate == null) {
      throw new IOException(source + ": the model has no chat template");
    }
    return new ChatTemplate(chatTemplate, tokenizer.specials().bos(), tokenizer.specials().eos());
  }

  /**
   * The ids a chat model is prompted with, as transformers' {@code apply_chat_template(...,
   * tokenize=True)}: the rendered template tokenised without adding special tokens again (the
   * template writes its own), special tokens in the text matched.
   */
  public int[] encodeChat(List<ChatTemplate.Message> messages, boolean addGenerationPrompt)
      throws IOException {
    return tokenizer.encode(chat().render(messages, addGenerationPrompt), false);
  }

  /** Total scalar count of the weights. */
  public long parameterCount() {
    long n = 0;
    for (float[] w : weights.values()) {
      n += w.length;
    }
    return n;
  }
}
