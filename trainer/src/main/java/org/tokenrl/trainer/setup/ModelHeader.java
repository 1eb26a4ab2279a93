package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.model.io.Gguf;
import org.tokenrl.model.io.GgufModels;
import org.tokenrl.model.io.HfConfig;
import org.tokenrl.model.io.ModelSource;
import org.tokenrl.model.io.PretrainedModel;

/**
 * The model a run will build, known before the run directory exists and without reading any
 * weights: its shape and tokenizer, from {@code model.path}'s header (an HF directory's config.json
 * and tokenizer files, a GGUF file's metadata) or from the model block with the character
 * tokenizer. What {@link StartChecks} checks the LoRA settings, memory and prompt lengths against.
 */
record ModelHeader(ModelSpec shape, Tokenizer tokenizer) {

  /** Reads {@code model.path}'s header (fetching a known model on first use) or the model block. */
  static ModelHeader of(RunSpec spec, Config c, Path projectRoot, Consumer<String> progress) {
    if (!spec.model().pretrained()) {
      Tokenizer chars = CharTokenizer.ascii();
      return new ModelHeader(spec.model().spec(chars), chars);
    }
    String value = spec.model().path();
    try {
      Path path = PretrainedStart.resolve(value, projectRoot, progress);
      Tokenizer tokenizer = PretrainedModel.loadTokenizer(path); // refuses a tokenrl checkpoint
      var shape =
          ModelSource.detect(path) == ModelSource.HF_DIRECTORY
              ? HfConfig.read(path.resolve("config.json"))
              : GgufModels.config(Gguf.open(path));
      PretrainedStart.checkAgreement(c, shape, value);
      return new ModelHeader(shape, tokenizer);
    } catch (IOException e) {
      throw new IllegalArgumentException("model.path = " + value + ": " + e.getMessage());
    }
  }
}
