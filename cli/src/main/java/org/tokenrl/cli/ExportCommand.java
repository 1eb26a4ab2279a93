package org.tokenrl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.core.Tokenizers;
import org.tokenrl.model.Policy;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.io.Checkpoint;
import org.tokenrl.model.io.HfExport;
import org.tokenrl.model.io.ModelSource;
import org.tokenrl.model.io.PeftExport;
import org.tokenrl.model.io.PretrainedModel;
import org.tokenrl.model.io.SafeTensors;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.runlog.RunLock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tokenrl export SOURCE --hf OUT}: writes a Hugging Face model directory (LoRA adapters
 * merged into the weights). SOURCE is a tokenrl run directory (its newest checkpoint) or checkpoint
 * of a llama model started from {@code model.path}, or a pretrained model (a .gguf file, an HF
 * directory, or a known name). The from-scratch gpt models and character-tokenizer runs are
 * refused. {@code --adapter OUT} instead writes a LoRA run's adapters in PEFT's layout.
 */
@Command(
    name = "export",
    description = {
      "write a Hugging Face model directory (safetensors, tokenizer, chat template)",
      "SOURCE is a run directory or checkpoint of a llama model (started from model.path), a"
          + " .gguf file, an HF directory or a known model name: the output holds"
          + " config.json, model.safetensors (HF names), tokenizer.json, tokenizer_config.json"
          + " (with the chat template), special_tokens_map.json and generation_config.json, for"
          + " transformers, vLLM or llama.cpp's converter. A LoRA run's adapters are merged"
          + " into the weights (W + alpha/r · B·A); --adapter OUT writes the adapters alone in"
          + " PEFT's layout instead (adapter_model.safetensors and adapter_config.json, for"
          + " PeftModel.from_pretrained on the base model)."
    })
final class ExportCommand extends CliCommand {
  @Parameters(
      paramLabel = "SOURCE",
      description = "run dir, checkpoint, .gguf file, HF directory or known model name")
  private String source;

  @Option(names = "--hf", paramLabel = "OUT", description = "HF model directory to create")
  private Path out;

  @Option(
      names = "--adapter",
      paramLabel = "OUT",
      description = "PEFT adapter directory to create (a LoRA run or checkpoint only)")
  private Path adapterOut;

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
    if ((out == null) == (adapterOut == null)) {
      return fail("give exactly one of --hf OUT (a full model) and --adapter OUT (LoRA adapters)");
    }
    Path target = out != null ? out : adapterOut;
    if (Files.exists(target)) {
      return fail(target + " already exists");
    }
    // A run directory being trained must not change (or be pruned) under the export.
    try (RunLock lock = Files.exists(Path.of(source)) ? lockForReading(Path.of(source)) : null) {
      return adapterOut != null ? exportAdapters() : exportModel(type);
    }
  }

  /** {@code --hf}: a full HF model directory. */
  private int exportModel(SafeTensors.DType type) throws Exception {
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

  /** {@code --adapter}: the newest checkpoint's LoRA adapters in PEFT's layout. */
  private int exportAdapters() throws Exception {
    Path checkpoint = checkpointOf(Path.of(source));
    if (checkpoint == null) {
      throw new BadInput(
          source + " is not a tokenrl run or checkpoint: --adapter exports a LoRA run's adapters");
    }
    try (Policy policy = load(checkpoint).policy()) {
      if (!policy.lora().enabled()) {
        throw new BadInput(
            checkpoint + " has no LoRA adapters (model.lora.rank = 0): export it with --hf OUT");
      }
      String base = policy.baseModel() != null ? policy.baseModel().path().toString() : "";
      PeftExport.write(adapterOut, policy, base);
      console()
          .err()
          .printf(
              Locale.ROOT,
              "exported %d LoRA matrices (rank %d) of %s to %s%n",
              policy.adapterWeights().size(),
              policy.lora().rank(),
              checkpoint,
              adapterOut);
    }
    console().out().println(adapterOut);
    return 0;
  }

  /** The checkpoint a run directory's newest or a checkpoint path names; null for anything else. */
  private static Path checkpointOf(Path path) throws BadInput, IOException {
    Path checkpoint = path;
    if (Files.isRegularFile(path.resolve(RunDirectory.CONFIG))) {
      checkpoint =
          RunDirectory.existing(path)
              .latestCheckpoint()
              .orElseThrow(() -> new BadInput(path + ": the run has no checkpoint yet"));
    }
    return Files.isDirectory(checkpoint)
            && ModelSource.detect(checkpoint) == ModelSource.TOKENRL_CHECKPOINT
        ? checkpoint
        : null;
  }

  private static Checkpoint.Loaded load(Path checkpoint) throws BadInput {
    try {
      return Checkpoint.load(checkpoint);
    } catch (IOException | RuntimeException e) {
      throw new BadInput("cannot load checkpoint " + checkpoint + ": " + e.getMessage());
    }
  }

  /** What an HF directory is written from. */
  private record Exportable(
      LlamaConfig config, Map<String, float[]> weights, HfTokenizer tokenizer) {}

  /**
   * A pretrained model as read, or a tokenrl run directory (its newest checkpoint) or checkpoint of
   * a llama model started from one (its tokenizer JSON carries the HF tokenizer and template).
   */
  private static Exportable exportable(Path path) throws IOException, BadInput {
    Path checkpoint = checkpointOf(path);
    if (checkpoint != null) {
      Checkpoint.Loaded loaded = load(checkpoint);
      try (Policy policy = loaded.policy()) {
        if (!(policy.config() instanceof LlamaConfig config)) {
          throw new BadInput(
              checkpoint
                  + " holds a "
                  + policy.config().arch()
                  + " model; only llama models"
                  + " export to Hugging Face");
        }
        if (!(Tokenizers.fromJson(loaded.tokenizerJson()) instanceof HfTokenizer tokenizer)) {
          throw new BadInput(
              checkpoint
                  + " was trained with tokenrl's character tokenizer, which has no"
                  + " Hugging Face equivalent; start runs from model.path to export them");
        }
        return new Exportable(config, policy.mergedWeights(), tokenizer);
      }
    }
    PretrainedModel m = PretrainedModel.load(path);
    return new Exportable(m.config(), m.weights(), m.tokenizer());
  }
}
