package org.tokenrl.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.model.Generation;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;

/**
 * The real SmolLM2-135M-Instruct, loaded from its GGUF by our readers into the engine, against the
 * independent float64 numpy reference (src/test/python/llama_reference.py, which dequantises with
 * the gguf package and implements the published Llama forward): logits of chat prompts and of our
 * 20 greedy tokens to 1e-4 relative, and the reference's argmax at every generated position is the
 * token we generated, i.e. the reference's own greedy decoding gives the same 20 ids (one reference
 * forward per sequence instead of one per new token).
 */
class SmolLm2LogitsTest {
  static final int NEW_TOKENS = 20;

  @TempDir Path tmp;

  @Test
  void logitsAndGreedyIdsMatchTheNumpyReference() throws Exception {
    Path gguf = SmolLm2.gguf();
    PretrainedModel m = PretrainedModel.load(gguf);
    int[][] prompts = {
      m.encodeChat(
          List.of(new ChatTemplate.Message("user", "What is the capital of France?")), true),
      m.encodeChat(
          List.of(
              new ChatTemplate.Message("system", "Answer with a number."),
              new ChatTemplate.Message("user", "What is 7 + 5?")),
          true)
    };
    int vocab = m.config().vocabSize();
    try (Policy policy = m.newPolicy(OptimizerConfig.defaults(1e-5))) {
      SamplingParams greedy =
          new SamplingParams(
              1.0, 0, 1.0, NEW_TOKENS, m.tokenizer().eos(), true, m.tokenizer().stopIds());
      Generation g = policy.generate(prompts, greedy, new long[] {1, 2});
      String answer = m.tokenizer().decode(g.responses()[0]);
      assertTrue(answer.startsWith("The capital of France is Paris."), answer);

      int[][] sequences = new int[prompts.length][];
      StringBuilder ids = new StringBuilder("[");
      for (int i = 0; i < prompts.length; i++) {
        int[] r = g.responses()[i];
        sequences[i] = Arrays.copyOf(prompts[i], prompts[i].length + r.length);
        System.arraycopy(r, 0, sequences[i], prompts[i].length, r.length);
        ids.append(i > 0 ? "," : "").append(Arrays.toString(sequences[i]));
      }
      ids.append("]");
      Path out = tmp.resolve("ref.safetensors");
      Process proc =
          org.tokenrl.core.Python.processBuilder(
                  Path.of("src/test/python/llama_reference.py").toAbsolutePath().toString(),
                  "--model",
                  gguf.toString(),
                  "--ids",
                  ids.toString(),
                  "--out",
                  out.toString())
              .redirectErrorStream(true)
              .start();
      String log = new String(proc.getInputStream().readAllBytes());
      assertEquals(0, proc.waitFor(), log);
      Map<String, float[]> ref = SafeTensors.read(out).tensors();

      for (int i = 0; i < prompts.length; i++) {
        float[] expected = ref.get("logits." + i);
        double[][] actual = policy.logits(sequences[i]);
        double maxRef = 0;
        double maxDiff = 0;
        for (int t = 0; t < sequences[i].length; t++) {
          for (int v = 0; v < vocab; v++) {
            double e = expected[t * vocab + v];
            maxRef = Math.max(maxRef, Math.abs(e));
            maxDiff = Math.max(maxDiff, Math.abs(e - actual[t][v]));
          }
        }
        System.err.printf(
            "SmolLM2 sequence %d (%d prompt + %d new tokens): max|Δlogit| %.3g, max|ref| %.3g,"
                + " relative %.3g; greedy: %s%n",
            i,
            prompts[i].length,
            g.responses()[i].length,
            maxDiff,
            maxRef,
            maxDiff / maxRef,
            m.tokenizer().decode(g.responses()[i]));
        assertTrue(maxRef > 1, "reference logits too flat: " + maxRef);
        assertTrue(maxDiff / maxRef <= 1e-4, "sequence " + i + ": relative " + maxDiff / maxRef);

        int[] response = g.responses()[i];
        assertTrue(
            response.length == NEW_TOKENS
                || m.tokenizer().stopIds().contains(response[response.length - 1]),
            "a row ends at 20 tokens or at a stop id");
        for (int k = 0; k < response.length; k++) {
          int position = prompts[i].length - 1 + k; // logits there choose new token k
          int argmax = 0;
          for (int v = 1; v < vocab; v++) {
            if (expected[position * vocab + v] > expected[position * vocab + argmax]) {
              argmax = v;
            }
          }
          assertEquals(argmax, response[k], "sequence " + i + ", new token " + k);
        }
      }
    }
  }
}
