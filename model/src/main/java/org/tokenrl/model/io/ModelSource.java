package org.tokenrl.model.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a path given as {@code model.path} holds. A Hugging Face model directory has {@code
 * config.json}; a tokenrl checkpoint has {@code model.json} and {@code trainer_state.json} (and its
 * {@code model.safetensors}/{@code tokenizer.json} are tokenrl's own formats), so the two are never
 * confused: a checkpoint belongs in {@code run.init_from}, and {@code ./tokenrl export} turns one
 * into an HF directory.
 */
public enum ModelSource {
  HF_DIRECTORY,
  GGUF_FILE,
  TOKENRL_CHECKPOINT;

  public static ModelSource detect(Path p) throws IOException {
    if (Files.isDirectory(p)) {
      if (Files.exists(p.resolve("model.json")) && Files.exists(p.resolve("trainer_state.json"))) {
        return TOKENRL_CHECKPOINT;
      }
      if (Files.exists(p.resolve("config.json"))) {
        return HF_DIRECTORY;
      }
      throw new IOException(
          p + ": neither a Hugging Face model directory (no config.json) nor a tokenrl checkpoint");
    }
    if (Files.isRegularFile(p)) {
      byte[] magic = new byte[4];
      try (var in = Files.newInputStream(p)) {
        if (in.readNBytes(magic, 0, 4) == 4 && new String(magic, "ISO-8859-1").equals("GGUF")) {
          return GGUF_FILE;
        }
      }
      throw new IOException(p + ": not a GGUF file (no GGUF magic) and not a directory");
    }
    throw new IOException(p + ": no such file or directory");
  }
}
