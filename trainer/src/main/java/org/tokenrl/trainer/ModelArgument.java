package org.tokenrl.trainer;

import java.io.IOException;
import java.nio.file.Path;
import org.tokenrl.model.ModelCache;

/**
 * A {@code --model PATH_OR_NAME} value resolved to a local path: an HF directory or .gguf file as
 * is, a known name through the model cache (fetched on first use, progress on stderr).
 */
final class ModelArgument {
  private ModelArgument() {}

  static Path resolve(String pathOrName, Console console) throws CliCommand.BadInput, IOException {
    try {
      return ModelCache.standard().resolve(pathOrName, console.err()::println);
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("model '")) {
        throw new CliCommand.BadInput(e.getMessage()); // unknown name: bad input, not a failure
      }
      throw e;
    }
  }
}
