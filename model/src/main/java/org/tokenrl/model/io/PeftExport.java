package org.tokenrl.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.Policy;

/**
 * Writes a policy's LoRA adapters in PEFT's on-disk layout, loadable with {@code
 * PeftModel.from_pretrained(base, dir)}: {@code adapter_model.safetensors} with keys {@code
 * base_model.model.<module path>.lora_A.weight} [r, in] and {@code .lora_B.weight} [out, r], and
 * {@code adapter_config.json}.
 */
public final class PeftExport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PeftExport() {}

  /** The PEFT key of one of our adapter tensors ({@code <module>.lora_A.weight}). */
  static String peftKey(String name) {
    return "base_model.model." + name;
  }

  /**
   * @param baseModel what {@code base_model_name_or_path} records: the base's HF id or path
   */
  public static void write(Path dir, Policy policy, String baseModel) throws IOException {
    LoraConfig lora = policy.lora();
    if (!lora.enabled()) {
      throw new IOException("the run has no LoRA adapters (model.lora.rank = 0): export --hf");
    }
    Files.createDirectories(dir);
    LinkedHashMap<String, float[]> tensors = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    Map<String, long[]> ours = policy.parameterShapes();
    LinkedHashSet<String> modules = new LinkedHashSet<>();
    policy
        .adapterWeights()
        .forEach(
            (name, values) -> {
              tensors.put(peftKey(name), values);
              shapes.put(peftKey(name), ours.get(name));
              String module = name.substring(0, name.indexOf(".lora_"));
              modules.add(module.substring(module.lastIndexOf('.') + 1));
            });
    SafeTensors.write(
        dir.resolve("adapter_model.safetensors"), tensors, shapes, Map.of("format", "pt"));
    ObjectNode c = JSON.createObjectNode();
    c.put("peft_type", "LORA");
    c.put("task_type", "CAUSAL_LM");
    c.put("base_model_name_or_path", baseModel);
    c.put("r", lora.rank());
    c.put("lora_alpha", lora.alpha());
    c.put("lora_dropout", lora.dropout());
    ArrayNode targets = c.putArray("target_modules");
    modules.forEach(targets::add);
    c.put("bias", "none");
    c.put("fan_in_fan_out", false);
    c.put("inference_mode", true);
    c.put("use_rslora", false);
    c.putNull("modules_to_save");
    Files.writeString(
        dir.resolve("adapter_config.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
  }
}
