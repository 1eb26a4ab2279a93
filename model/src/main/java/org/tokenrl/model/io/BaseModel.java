package org.tokenrl.model.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;

/**
 * The pretrained weights a LoRA policy adapts: where they were read from and a SHA-256 over their
 * bytes. A LoRA checkpoint stores only the adapters plus this, and loading it re-reads the base and
 * refuses one whose bytes changed. The digest of a GGUF file is the file's own; of a Hugging Face
 * directory, one digest over config.json and every .safetensors file in name order.
 */
public record BaseModel(Path path, String sha256) {
  /** Reads the base at {@code path} and computes its digest. */
  public static BaseModel of(Path path) throws IOException {
    Path p = path.toAbsolutePath().normalize();
    return new BaseModel(p, digest(p));
  }

  /** Fails with a message naming both digests when the base at {@link #path} is not this one. */
  private void verify() throws IOException {
    if (!Files.exists(path)) {
      throw new IOException(
          "the base model " + path + " the adapters were trained on is missing: restore it there");
    }
    String now = digest(path);
    if (!now.equals(sha256)) {
      throw new IOException(
          "the base model "
              + path
              + " has changed (sha256 "
              + now
              + ", the adapters were trained on "
              + sha256
              + "): adapters only fit the exact base they were trained on");
    }
  }

  /**
   * A policy with LoRA adapters on this base, after checking its digest; adapters start as a fresh
   * initialisation (callers import trained ones next).
   */
  public Policy newPolicy(OptimizerConfig optimizer, LoraConfig lora) throws IOException {
    verify();
    return PretrainedModel.load(path).newPolicy(optimizer, lora, 0);
  }

  /** {"path", "sha256"}; {@link #fromJson} reads it back. */
  public com.fasterxml.jackson.databind.node.ObjectNode toJson() {
    var json = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    json.put("path", path.toString());
    json.put("sha256", sha256);
    return json;
  }

  /** {@link #toJson}'s output, or null for a missing node. */
  public static BaseModel fromJson(com.fasterxml.jackson.databind.JsonNode json) {
    if (json == null || json.isMissingNode() || json.isNull()) {
      return null;
    }
    return new BaseModel(Path.of(json.path("path").asText()), json.path("sha256").asText());
  }

  public static String digest(Path path) throws IOException {
    if (!Files.isDirectory(path)) {
      return FileTrees.sha256(path);
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(path)) {
      files =
          s.filter(
                  f -> {
                    String n = f.getFileName().toString();
                    return n.equals("config.json") || n.endsWith(".safetensors");
                  })
              .sorted()
              .toList();
    }
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Path f : files) {
        md.update((f.getFileName() + "=" + FileTrees.sha256(f) + "\n").getBytes());
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
