package org.tokenrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.PythonRunner;

/**
 * SmolLM2 (from its GGUF) exported to a Hugging Face directory: the Python safetensors and
 * tokenizers packages read it with HF names and shapes, and it reloads in tokenrl unchanged.
 */
class HfExportTest {
  @TempDir Path tmp;

  @Test
  void exportReadsInPythonAndRoundTripsExactly() throws Exception {
    PretrainedModel m = PretrainedModel.load(SmolLm2.gguf());
    Path f32 = tmp.resolve("smollm2-f32");
    Path bf16 = tmp.resolve("smollm2-bf16");
    HfExport.write(
        f32, m.config(), m.weights(), m.tokenizer(), m.chatTemplate(), SafeTensors.DType.F32);
    HfExport.write(
        bf16, m.config(), m.weights(), m.tokenizer(), m.chatTemplate(), SafeTensors.DType.BF16);

    // Python: tensor names, shapes and dtypes; float32 values of the fp32 file through numpy,
    // checked against the values we hold; the tokenizer encodes like ours.
    String script =
        String.join(
            "\n",
            "import json, sys, hashlib, numpy as np",
            "from safetensors import safe_open",
            "import safetensors",
            "from tokenizers import Tokenizer",
            "d32, d16, text = sys.argv[1], sys.argv[2], sys.argv[3]",
            "with safe_open(d32 + '/model.safetensors', 'numpy') as f:",
            "    assert f.metadata()['format'] == 'pt'",
            "    names = list(f.keys())",
            "    shapes = {k: list(f.get_slice(k).get_shape()) for k in names}",
            "    q = f.get_tensor('model.layers.3.self_attn.q_proj.weight')",
            "    print('q', q.dtype, float(q.astype(np.float64).sum()), float(q[5, 7]))",
            "raw = open(d16 + '/model.safetensors', 'rb').read()",
            "dt = {n: t['dtype'] for n, t in safetensors.deserialize(raw)}",
            "assert set(dt.values()) == {'BF16'}, set(dt.values())",
            "cfg = json.load(open(d32 + '/config.json'))",
            "tc = json.load(open(d32 + '/tokenizer_config.json'))",
            "gen = json.load(open(d32 + '/generation_config.json'))",
            "tok = Tokenizer.from_file(d32 + '/tokenizer.json')",
            "print('names', len(names), json.dumps(shapes['model.embed_tokens.weight']),",
            "      json.dumps(shapes['model.layers.0.mlp.down_proj.weight']), sorted(dt) =="
                + " sorted(names))",
            "print('config', cfg['architectures'][0], cfg['num_key_value_heads'],"
                + " cfg['tie_word_embeddings'],",
            "      tc['eos_token'], gen['eos_token_id'], 'SmolLM' in tc['chat_template'])",
            "print('ids', json.dumps(tok.encode(text).ids))");
    String text = "<|im_start|>user\nWhat is 12 + 30?<|im_end|>\n";
    String[] out = PythonRunner.run(script, f32.toString(), bf16.toString(), text).split("\n");
    float[] q = m.weights().get("model.layers.3.self_attn.q_proj.weight");
    double sum = 0;
    for (float v : q) {
      sum += v;
    }
    String[] qLine = out[0].split(" ");
    assertEquals("float32", qLine[1]);
    assertEquals(sum, Double.parseDouble(qLine[2]), 1e-9 * Math.max(1, Math.abs(sum)));
    assertEquals(q[5 * 576 + 7], Float.parseFloat(qLine[3]));
    assertEquals("names 272 [49152, 576] [576, 1536] True", out[1]);
    assertEquals("config LlamaForCausalLM 3 True <|im_end|> 2 True", out[2]);
    assertEquals(
        java.util.Arrays.toString(m.tokenizer().encode(text)).replace(" ", ""),
        out[3].substring(4).replace(" ", ""));

    PretrainedModel back = PretrainedModel.load(f32);
    assertEquals(m.config(), back.config());
    assertEquals(m.weights().keySet(), back.weights().keySet());
    for (String name : m.weights().keySet()) {
      assertArrayEquals(m.weights().get(name), back.weights().get(name), name);
    }
    assertEquals(m.chatTemplate(), back.chatTemplate());
    assertEquals(m.tokenizer().stopIds(), back.tokenizer().stopIds());
    assertEquals(m.tokenizer().bos(), back.tokenizer().bos());
    List<ChatTemplate.Message> chat = List.of(new ChatTemplate.Message("user", "Hi"));
    assertArrayEquals(
        m.tokenizer()
            .encode(
                new ChatTemplate(m.chatTemplate(), "<|im_start|>", "<|im_end|>")
                    .render(chat, true)),
        back.tokenizer()
            .encode(
                new ChatTemplate(back.chatTemplate(), "<|im_start|>", "<|im_end|>")
                    .render(chat, true)));

    PretrainedModel halves = PretrainedModel.load(bf16);
    float[] w = m.weights().get("model.norm.weight");
    float[] h = halves.weights().get("model.norm.weight");
    for (int i = 0; i < w.length; i++) {
      assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(w[i])), h[i]);
    }
    assertTrue(
        Files.size(bf16.resolve("model.safetensors"))
            < Files.size(f32.resolve("model.safetensors")) / 2 + 100_000);
  }
}
