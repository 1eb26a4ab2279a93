package org.tokenrl.model.io;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.DurableFiles;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.arch.ModelSpec;

/**
 * A training checkpoint directory:
 *
 * <pre>
 *   model.safetensors      weights (float32, names of Policy.exportWeights); with LoRA on a
 *                          pretrained base, the adapters alone
 *   model.json             ModelSpec (with "arch": gpt or llama), plus "lora" {rank, alpha,
 *                          dropout, targets} and "base_model" {path, sha256} when they apply
 *   tokenizer.json         as given by the caller
 *   optimizer.safetensors  AdamW moments "m.NAME"/"v.NAME"; metadata: step, learning_rate, config
 *   trainer_state.json     opaque JSON from the caller (step, RNG state, ...)
 *   checksums.json         SHA-256 of each file above
 * </pre>
 *
 * Saving writes everything into a temporary directory beside the target, fsyncs it, and renames it
 * into place, so a crash never leaves a half-written checkpoint under the target name. An existing
 * checkpoint is first renamed aside and deleted after the new one is in place (if the process dies
 * between the two renames, the previous checkpoint survives as {@code .<name>.old-*}).
 */
public final class Checkpoint {
  static final List<String> FILES =
      List.of(
          "model.safetensors",
          "model.json",
          "tokenizer.json",
          "optimizer.safetensors",
          "trainer_state.json");
  private static final String CHECKSUMS = "checksums.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Checkpoint() {}

  /** A loaded checkpoint: a ready policy (with optimizer state) and the caller's JSON strings. */
  public record Loaded(Policy policy, String tokenizerJson, String trainerStateJson) {}

  public static void save(Path dir, Policy policy, String tokenizerJson, String trainerStateJson)
      throws IOException {
    Path target = dir.toAbsolutePath().normalize();
    Path parent = target.getParent();
    Files.createDirectories(parent);
    String name = target.getFileName().toString();
    Path tmp = Files.createTempDirectory(parent, "." + name + ".tmp-");
    try {
      BaseModel base = policy.baseModel();
      LinkedHashMap<String, float[]> weights =
          base != null ? policy.adapterWeights() : policy.exportWeights();
      SafeTensors.write(
          tmp.resolve("model.safetensors"),
          weights,
          policy.parameterShapes(),
          Map.of("format", "pt", "producer", "tokenrl"));
      writeText(tmp.resolve("model.json"), modelJson(policy));
      writeText(tmp.resolve("tokenizer.json"), tokenizerJson);
      writeOptimizer(tmp.resolve("optimizer.safetensors"), policy);
      writeText(tmp.resolve("trainer_state.json"), trainerStateJson);
      Map<String, String> sums = new LinkedHashMap<>();
      for (String f : FILES) {
        sums.put(f, FileTrees.sha256(tmp.resolve(f)));
      }
      writeText(tmp.resolve(CHECKSUMS), JSON.writeValueAsString(sums));
      fsyncDirectory(tmp);
      if (Files.exists(target)) {
        Path old = Files.createTempDirectory(parent, "." + name + ".old-");
        Files.delete(old); // only reserve a fresh name for the rename
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        FileTrees.deleteRecursively(old);
      } else {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      }
      fsyncDirectory(parent);
    } finally {
      if (Files.exists(tmp)) {
        FileTrees.deleteRecursively(tmp);
      }
    }
  }

  /** Verifies every checksum, then rebuilds the policy with its optimizer state. */
  public static Loaded load(Path dir) throws IOException {
    Path checksums = dir.resolve(CHECKSUMS);
    if (!Files.isRegularFile(checksums)) {
      throw new IOException(
          "checkpoint "
              + dir
              + " has no "
              + CHECKSUMS
              + ": not a checkpoint or an unfinished save");
    }
    Map<String, String> sums =
        JSON.readValue(Files.readString(checksums), new TypeReference<Map<String, String>>() {});
    for (String f : FILES) {
      Path file = dir.resolve(f);
      if (!Files.isRegularFile(file)) {
        throw new IOException("checkpoint " + dir + " is missing " + f);
      }
      String expected = sums.get(f);
      String actual = FileTrees.sha256(file);
      if (!actual.equals(expected)) {
        throw new IOException(
            "checksum mismatch for "
                + f
                + " in checkpoint "
                + dir
                + " (expected "
                + expected
                + ", found "
                + actual
                + "): the file is corrupted or was modified");
      }
    }
    String modelJson = Files.readString(dir.resolve("model.json"));
    ModelSpec cfg = ModelSpec.fromJson(modelJson);
    JsonNode extra = JSON.readTree(modelJson);
    LoraConfig lora = LoraConfig.fromJson(extra.path("lora"));
    SafeTensors.Contents opt = SafeTensors.read(dir.resolve("optimizer.safetensors"));
    OptimizerConfig optCfg =
        JSON.readValue(opt.metadata().get("optimizer_config"), OptimizerConfig.class);
    Policy policy;
    if (extra.has("base_model")) {
      BaseModel base = BaseModel.fromJson(extra.path("base_model"));
      try {
        policy = base.newPolicy(optCfg, lora);
      } catch (IOException e) {
        throw new IOException("checkpoint " + dir + ": " + e.getMessage(), e);
      }
    } else {
      policy = Policy.createForImport(cfg, optCfg, lora);
    }
    policy.importWeights(SafeTensors.read(dir.resolve("model.safetensors")).tensors());
    policy
        .optimizer()
        .importState(
            opt.tensors(),
            Long.parseLong(opt.metadata().get("step")),
            Double.parseDouble(opt.metadata().get("learning_rate")));
    return new Loaded(
        policy,
        Files.readString(dir.resolve("tokenizer.json")),
        Files.readString(dir.resolve("trainer_state.json")));
  }

  /** The spec's JSON, with the LoRA settings and the base model when the policy has them. */
  private static String modelJson(Policy policy) throws IOException {
    ObjectNode json = (ObjectNode) JSON.readTree(policy.config().toJson());
    if (policy.lora().enabled()) {
      json.set("lora", policy.lora().toJson());
    }
    if (policy.baseModel() != null) {
      json.set("base_model", policy.baseModel().toJson());
    }
    return new ObjectMapper().writeValueAsString(json); // compact, as the spec writes itself
  }

  private static void writeOptimizer(Path path, Policy policy) throws IOException {
    LinkedHashMap<String, float[]> state = policy.optimizer().exportState();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    Map<String, long[]> params = policy.parameterShapes();
    state.keySet().forEach(k -> shapes.put(k, params.get(k.substring(2))));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("step", Long.toString(policy.optimizer().step()));
    meta.put("learning_rate", Double.toString(policy.optimizer().learningRate()));
    meta.put("optimizer_config", JSON.writeValueAsString(policy.optimizer().config()));
    SafeTensors.write(path, state, shapes, meta);
  }

  private static void writeText(Path path, String text) throws IOException {
    try (FileChannel ch =
        FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
  }

  private static void fsyncDirectory(Path dir) {
    DurableFiles.fsyncDirectory(dir);
  }
}
