package org.tokenrl.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.core.Tokenizers;
import org.tokenrl.model.Checkpoint;
import org.tokenrl.model.HfExport;
import org.tokenrl.model.LlamaConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.ModelSource;
import org.tokenrl.model.PretrainedModel;
import org.tokenrl.model.SafeTensors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tokenrl export SOURCE --hf OUT}: writes a Hugging Face model directory. SOURCE is a
 * tokenrl run directory (its newest checkpoint) or checkpoint of a llama model started from {@code
 * model.path}, or a pretrained model (a .gguf file, an HF directory, or a known name). The
 * from-scratch gpt models and character-tokenizer runs are refused.
 */
@Command(
    name = "export",
    description = {
      "write a Hugging Face model directory (safetensors, tokenizer, chat template)",
      "SOURCE is a run directory or checkpoint of a llama model (started from model.path), a"
          + " .gguf file, an HF directory or a known model name: the output holds"
          + " config.json, model.safetensors (HF names), tokenizer.json, tokenizer_config.json"
          + " (with the chat template), special_tokens_map.json and generation_config.json, for"
          + " transformers, vLLM or llama.cpp's converter."
    })
final class ExportCommand extends CliCommand {
  @Parameters(
      paramLabel = "SOURCE",
      description = "run dir, checkpoint, .gguf file, HF directory or known model name")
  private String source;

  @Option(names = "--hf", required = true, paramLabel = "OUT", description = "directory to create")
  private Path out;

  @Option(
      names = "--dtype",
      paramLabel = "bf16|fp32",
      description = "tensor type in model.safetensors (default bf16)")
  private String dtype = "bf16";

  @Override
  int execute() throws Exception {
    SafeTensors.DType type =
        switch (dtype.toLowerCase(Locale.ROOT)) {
          case "bf16", "bfloat16" -> SafeTensors.DType.BF16;
          case "fp32", "f32", "float32" -> SafeTensors.DType.F32;
          default -> throw new BadInput("--dtype must be bf16 or fp32, got '" + dtype + "'");
        };
    if (Files.exists(out)) {
      return fail(out + " already exists");
    }
    Path path = ModelArgument.resolve(source, console());
    Exportable m;
    try {
      m = exportable(path);
    } catch (IOException e) {
      throw new BadInput(e.getMessage());
    }
    long start = System.nanoTime();
    HfExport.write(out, m.config(), m.weights(), m.tokenizer(), m.tokenizer().chatTemplate(), type);
    console()
        .err()
        .printf(
            Locale.ROOT,
            "exported %s (%,d parameters, %s) to %s in %.1f s%n",
            path.getFileName(),
            m.config().parameterCount(),
            type,
            out,
            (System.nanoTime() - start) / 1e9);
    console().out().println(out);
    return 0;
  }

  /** What an HF directory is written from. */
  private record Exportable(LlamaConfig config, Map<String, float[]> weights, HfTokenizer tokenizer) {}

  /**
   * A pretrained model as read, or a tokenrl run directory (its newest checkpoint) or checkpoint
   * of a llama model started from one (its tokenizer JSON carries the HF tokenizer and template).
   */
  private static Exportable exportable(Path path) throws IOException, BadInput {
    Path checkpoint = path;
    if (Files.isRegularFile(path.resolve(RunDirectory.CONFIG))) {
      checkpoint =
          RunDirectory.existing(path)
              .latestCheckpoint()
              .orElseThrow(() -> new BadInput(path + ": the run has no checkpoint yet"));
    }
    if (Files.isDirectory(checkpoint) && ModelSource.detect(checkpoint) == ModelSource.TOKENRL_CHECKPOINT) {
      Checkpoint.Loaded loaded;
      try {
        loaded = Checkpoint.load(checkpoint);
      } catch (IOException | RuntimeException e) {
        throw new BadInput("cannot load checkpoint " + checkpoint + ": " + e.getMessage());
      }
      try (Policy policy = loaded.policy()) {
        if (!(policy.config() instanceof LlamaConfig config)) {
          throw new BadInput(
              checkpoint + " holds a " + policy.config().arch() + " model; only llama models"
                  + " export to Hugging Face");
        }
        if (!(Tokenizers.fromJson(loaded.tokenizerJson()) instanceof HfTokenizer tokenizer)) {
          throw new BadInput(
              checkpoint + " was trained with tokenrl's character tokenizer, which has no"
                  + " Hugging Face equivalent; start runs from model.path to export them");
        }
        return new Exportable(config, policy.exportWeights(), tokenizer);
      }
    }
    PretrainedModel m = PretrainedModel.load(path);
    return new Exportable(m.config(), m.weights(), m.tokenizer());
  }
}
