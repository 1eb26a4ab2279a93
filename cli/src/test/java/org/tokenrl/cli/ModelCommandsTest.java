package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fetch / tokenize / export on the real SmolLM2 (from the model cache). */
class ModelCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void fetchPrintsTheCachedPathAndTokenizeRoundTrips() throws Exception {
    CliRun fetch = CliRun.of("fetch", "smollm2-135m-instruct");
    assertEquals(0, fetch.code(), fetch.err());
    assertTrue(fetch.out().strip().endsWith("SmolLM2-135M-Instruct.Q4_1.gguf"), fetch.out());
    assertTrue(Files.exists(Path.of(fetch.out().strip())));

    String text = "The capital of France is Paris.\n<|im_start|>user\n12 apples 😀<|im_end|>\n";
    CliRun enc = CliRun.withInput(text, "tokenize", "--model", "smollm2-135m-instruct");
    assertEquals(0, enc.code(), enc.err());
    List<String> lines = enc.lines();
    assertEquals(3, lines.size());
    JsonNode first = JSON.readTree(lines.get(0));
    assertEquals(
        "[\"The\",\"Ġcapital\",\"Ġof\",\"ĠFrance\",\"Ġis\",\"ĠParis\",\".\"]",
        first.path("tokens").toString());
    JsonNode second = JSON.readTree(lines.get(1));
    assertEquals(1, second.path("ids").get(0).asInt(), "<|im_start|> is one special id");
    StringBuilder arrays = new StringBuilder();
    for (String l : lines) {
      arrays.append(JSON.readTree(l).path("ids")).append('\n');
    }
    CliRun dec =
        CliRun.withInput(
            arrays.toString(), "tokenize", "--model", "smollm2-135m-instruct", "--decode");
    assertEquals(0, dec.code(), dec.err());
    assertEquals(List.of("The capital of France is Paris.", "user", "12 apples 😀"), dec.lines());
  }

  @Test
  void badInputIsOneLineAndExitCode2() throws Exception {
    CliRun unknown = CliRun.of("tokenize", "--model", "no-such-model");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("known: smollm2-135m-instruct"), unknown.err());
    assertEquals(1, unknown.err().strip().split("\n").length, unknown.err());

    Path junk = tmp.resolve("junk.gguf");
    Files.writeString(junk, "GGUF but then nothing useful");
    CliRun corrupt = CliRun.of("tokenize", "--model", junk.toString());
    assertEquals(2, corrupt.code());
    assertTrue(corrupt.err().contains(junk.toString()), corrupt.err());
    assertEquals(1, corrupt.err().strip().split("\n").length, corrupt.err());

    CliRun badIds =
        CliRun.withInput(
            "[1, 99999999]\n", "tokenize", "--model", "smollm2-135m-instruct", "--decode");
    assertEquals(2, badIds.code());
    assertTrue(badIds.err().contains("stdin:1"), badIds.err());

    Path ckpt = tmp.resolve("step-3");
    Files.createDirectories(ckpt);
    Files.writeString(ckpt.resolve("model.json"), "{}");
    Files.writeString(ckpt.resolve("trainer_state.json"), "{}");
    CliRun export = CliRun.of("export", ckpt.toString(), "--hf", tmp.resolve("out").toString());
    assertEquals(2, export.code());
    assertTrue(export.err().contains("cannot load checkpoint " + ckpt), export.err());
    assertEquals(1, export.err().strip().split("\n").length, export.err());
    CliRun exists = CliRun.of("export", "smollm2-135m-instruct", "--hf", tmp.toString());
    assertEquals(2, exists.code());
    assertTrue(exists.err().contains("already exists"), exists.err());
  }

  @Test
  void generateAnswersTheIssuesQuestionAndJsonHasPromptAndNewIds() throws Exception {
    CliRun run =
        CliRun.of(
            "generate",
            "--model",
            "smollm2-135m-instruct",
            "--chat",
            "--json",
            "--prompt",
            "What is the capital of France?");
    assertEquals(0, run.code(), run.err());
    JsonNode o = JSON.readTree(run.out());
    assertEquals("The capital of France is Paris.", o.path("text").asText());
    JsonNode ids = o.path("ids");
    assertEquals(2, ids.get(ids.size() - 1).asInt(), "stops at <|im_end|>, included in ids");
    JsonNode prompt = o.path("prompt_ids");
    // ChatML with the template's default system turn, ending in the assistant header.
    assertEquals(1, prompt.get(0).asInt());
    CliRun tail =
        CliRun.withInput(
            "[" + prompt.get(prompt.size() - 3) + "," + prompt.get(prompt.size() - 2) + "]\n",
            "tokenize",
            "--model",
            "smollm2-135m-instruct",
            "--decode");
    assertEquals("assistant", tail.out().strip());

    CliRun bad =
        CliRun.of("generate", "--model", "smollm2-135m-instruct", "--prompt", "x", "--system", "y");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--system needs --chat"), bad.err());
  }

  @Test
  void aLlamaCheckpointWithTheModelsTokenizerExportsToAnHfDirectory() throws Exception {
    // A small llama with SmolLM2's vocabulary and tokenizer (as a run from model.path saves it).
    org.tokenrl.model.arch.LlamaConfig cfg =
        new org.tokenrl.model.arch.LlamaConfig(
            49152, 8, 16, 1, 2, 1, 4, 1e-5, 10000, true, 64, false);
    org.tokenrl.core.HfTokenizer smol =
        org.tokenrl.model.io.PretrainedModel.loadTokenizer(
            Path.of(CliRun.of("fetch", "smollm2-135m-instruct").out().strip()));
    Path ckpt = tmp.resolve("run/step-1");
    try (org.tokenrl.model.Policy p =
        org.tokenrl.model.Policy.create(cfg, org.tokenrl.model.OptimizerConfig.defaults(1e-3), 3)) {
      org.tokenrl.model.io.Checkpoint.save(ckpt, p, smol.toJson(), "{}");
      Path out = tmp.resolve("hf");
      CliRun export =
          CliRun.of("export", ckpt.toString(), "--hf", out.toString(), "--dtype", "fp32");
      assertEquals(0, export.code(), export.err());
      org.tokenrl.model.io.PretrainedModel back = org.tokenrl.model.io.PretrainedModel.load(out);
      assertEquals(cfg, back.config());
      for (var e : p.exportWeights().entrySet()) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(
            e.getValue(), back.weights().get(e.getKey()), e.getKey());
      }
      assertEquals(smol.chatTemplate(), back.chatTemplate());
      assertTrue(back.chatTemplate().contains("SmolLM"));
    }
  }

  @Test
  void aLoraRunExportsMergedWeightsWithHfAndPeftAdaptersWithAdapter() throws Exception {
    org.tokenrl.model.arch.LlamaConfig cfg =
        new org.tokenrl.model.arch.LlamaConfig(
            49152, 8, 16, 1, 2, 1, 4, 1e-5, 10000, true, 64, false);
    org.tokenrl.core.HfTokenizer smol =
        org.tokenrl.model.io.PretrainedModel.loadTokenizer(
            Path.of(CliRun.of("fetch", "smollm2-135m-instruct").out().strip()));
    Path base = tmp.resolve("base");
    try (org.tokenrl.model.Policy random =
        org.tokenrl.model.Policy.create(cfg, org.tokenrl.model.OptimizerConfig.defaults(1e-3), 4)) {
      org.tokenrl.model.io.HfExport.write(
          base,
          cfg,
          random.exportWeights(),
          smol,
          null,
          org.tokenrl.model.io.SafeTensors.DType.F32);
    }
    org.tokenrl.model.LoraConfig lora =
        new org.tokenrl.model.LoraConfig(2, 4.0, 0.0, java.util.List.of("q_proj", "down_proj"));
    Path ckpt = tmp.resolve("lora-run/step-2");
    java.util.Map<String, float[]> merged;
    try (org.tokenrl.model.Policy p =
        org.tokenrl.model.io.PretrainedModel.load(base)
            .newPolicy(org.tokenrl.model.OptimizerConfig.defaults(1e-2), lora, 5)) {
      int[][] prompts = {{1, 5, 9}, {1, 7}};
      int[][] responses = {{3, 4}, {8, 2, 6}};
      double[][] coef = {{-0.5, 0.3}, {0.2, -0.4, 0.1}};
      for (int step = 0; step < 2; step++) {
        assertTrue(!p.update(prompts, responses, coef, null, 1.0).skipped());
      }
      merged = p.mergedWeights();
      org.tokenrl.model.io.Checkpoint.save(ckpt, p, smol.toJson(), "{}");
    }
    Path hf = tmp.resolve("merged");
    CliRun full = CliRun.of("export", ckpt.toString(), "--hf", hf.toString(), "--dtype", "fp32");
    assertEquals(0, full.code(), full.err());
    org.tokenrl.model.io.PretrainedModel back = org.tokenrl.model.io.PretrainedModel.load(hf);
    for (var e : merged.entrySet()) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(
          e.getValue(), back.weights().get(e.getKey()), e.getKey());
    }
    Path peft = tmp.resolve("peft");
    CliRun adapters = CliRun.of("export", ckpt.toString(), "--adapter", peft.toString());
    assertEquals(0, adapters.code(), adapters.err());
    String out =
        org.tokenrl.core.PythonRunner.run(
            "import sys, json\n"
                + "from safetensors.numpy import load_file\n"
                + "t = load_file(sys.argv[1] + '/adapter_model.safetensors')\n"
                + "for k in sorted(t): print(k, list(t[k].shape))\n"
                + "c = json.load(open(sys.argv[1] + '/adapter_config.json'))\n"
                + "print(c['peft_type'], c['r'], c['lora_alpha'], sorted(c['target_modules']),"
                + " c['base_model_name_or_path'])\n",
            peft.toString());
    assertTrue(
        out.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight [2, 8]"), out);
    assertTrue(
        out.contains("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight [8, 2]"), out);
    assertTrue(
        out.contains("LORA 2 4.0 ['down_proj', 'q_proj'] " + base.toAbsolutePath().normalize()),
        out);

    CliRun both =
        CliRun.of(
            "export",
            ckpt.toString(),
            "--hf",
            tmp.resolve("x").toString(),
            "--adapter",
            tmp.resolve("y").toString());
    assertEquals(2, both.code());
    assertEquals(1, both.err().strip().lines().count(), both.err());
    CliRun notLora =
        CliRun.of("export", "smollm2-135m-instruct", "--adapter", tmp.resolve("z").toString());
    assertEquals(2, notLora.code());
    assertTrue(notLora.err().contains("--adapter exports a LoRA run"), notLora.err());
  }
}
