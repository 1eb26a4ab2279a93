package org.tokenrl.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.tokenrl.model.HfExport;
import org.tokenrl.model.ModelSource;
import org.tokenrl.model.PretrainedModel;
import org.tokenrl.model.SafeTensors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tokenrl export SOURCE --hf OUT}: writes a Hugging Face model directory. SOURCE is a
 * pretrained model (a .gguf file, an HF directory, or a known name). tokenrl checkpoints of llama
 * models export once the llama engine stores them; the gpt models are not exportable.
 */
@Command(
    name = "export",
    description = {
      "write a Hugging Face model directory (safetensors, tokenizer, chat template)",
      "SOURCE is a .gguf file, an HF directory or a known model name: the output holds"
          + " config.json, model.safetensors (HF names), tokenizer.json, tokenizer_config.json"
          + " (with the chat template), special_tokens_map.json and generation_config.json, for"
          + " transformers, vLLM or llama.cpp's converter."
    })
final class ExportCommand extends CliCommand {
  @Parameters(paramLabel = "SOURCE", description = ".gguf file, HF directory or known model name")
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
    PretrainedModel m;
    try {
      if (ModelSource.detect(path) == ModelSource.TOKENRL_CHECKPOINT
          || Files.exists(path.resolve("config.conf"))) {
        return fail(
            path + " is a tokenrl run or checkpoint: exporting one needs checkpoints of the"
                + " llama engine (model.arch = llama), which this build does not have yet");
      }
      m = PretrainedModel.load(path);
    } catch (IOException e) {
      throw new BadInput(e.getMessage());
    }
    long start = System.nanoTime();
    HfExport.write(out, m.config(), m.weights(), m.tokenizer(), m.chatTemplate(), type);
    console()
        .err()
        .printf(
            Locale.ROOT,
            "exported %s (%,d parameters, %s) to %s in %.1f s%n",
            path.getFileName(),
            m.parameterCount(),
            type,
            out,
            (System.nanoTime() - start) / 1e9);
    console().out().println(out);
    return 0;
  }
}
