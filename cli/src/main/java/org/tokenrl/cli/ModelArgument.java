package org.tokenrl.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.tokenrl.model.io.ModelCache;
import org.tokenrl.runlog.Console;
import picocli.CommandLine.Option;

/**
 * A {@code --model PATH_OR_NAME} value resolved to a local path: an HF directory or .gguf file as
 * is, a known name through the model cache (fetched on first use, progress on stderr). As a picocli
 * mixin it is the required {@code --model} option of the commands that load a model.
 */
final class ModelArgument {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "PATH_OR_NAME",
      description = "HF model directory, .gguf file, or a known name (smollm2-135m-instruct)")
  private String value;

  /** The option's value as a local path. */
  Path resolve(Console console) throws CliCommand.BadInput, IOException {
    return resolve(value, console);
  }

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
