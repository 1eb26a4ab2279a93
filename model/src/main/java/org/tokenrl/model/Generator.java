package org.tokenrl.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Autoregressive sampling for a {@link Policy}: either with the KV cache (prefill the left-padded
 * prompts with the full graph, which also returns every layer's K/V, then one decode-graph call per
 * new token) or, as the reference, by re-running the full graph on the whole sequence each step.
 */
final class Generator {
  private final ModelConfig cfg;
  private final TransformerGraph graph;

  Generator(TransformerGraph graph) {
    this.cfg = graph.cfg;
    this.graph = graph;
  }

  /**
   * The generation loop. {@code logitsSink}, if given, receives each step's raw logits [B][V]
   * (tests compare cached and uncached decoding with it).
   */
  Generation run(
      int[][] prompts,
      SamplingParams params,
      long[] rowSeeds,
      boolean useCache,
      List<double[][]> logitsSink) {
    int b = prompts.length;
    int v = cfg.vocabSize();
    if (rowSeeds.length != b) {
      throw new IllegalArgumentException(
          "rowSeeds has " + rowSeeds.length + " seeds for " + b + " prompts");
    }
    int maxPrompt = 0;
    for (int i = 0; i < b; i++) {
      if (prompts[i].length == 0) {
        throw new IllegalArgumentException("prompt " + i + " is empty: start prompts with BOS");
      }
      maxPrompt = Math.max(maxPrompt, prompts[i].length);
    }
    if (maxPrompt + params.maxNewTokens() - 1 > cfg.maxSeqLen()) {
      throw new IllegalArgumentException(
          "longest prompt ("
              + maxPrompt
              + ") + maxNewTokens ("
              + params.maxNewTokens()
              + ") - 1 exceeds model.maxSeqLen ("
              + cfg.maxSeqLen()
              + "): lower sampling.maxNewTokens or shorten the prompts");
    }
    double temperature = params.scoringTemperature();
    SplittableRandom[] rngs = new SplittableRandom[b];
    List<List<Integer>> tokens = new ArrayList<>();
    List<List<Float>> logprobs = new ArrayList<>();
    List<List<Float>> entropies = new ArrayList<>();
    boolean[] active = new boolean[b];
    for (int i = 0; i < b; i++) {
      rngs[i] = new SplittableRandom(rowSeeds[i]);
      tokens.add(new ArrayList<>());
      logprobs.add(new ArrayList<>());
      entropies.add(new ArrayList<>());
      active[i] = true;
    }
    if (b == 0) {
      return new Generation(new int[0][], new float[0][], new float[0][], new boolean[0]);
    }
    Decoder decoder = useCache ? new CachedDecoder(prompts, temperature) : null;
    for (int step = 0; step < params.maxNewTokens(); step++) {
      StepOutput out =
          useCache
              ? (step == 0 ? decoder.prefill() : decoder.next(lastTokens(tokens), step))
              : fullStep(prompts, tokens, temperature);
      if (logitsSink != null) {
        logitsSink.add(out.logits);
      }
      boolean any = false;
      for (int i = 0; i < b; i++) {
        if (!active[i]) {
          continue;
        }
        int tok = Sampler.next(out.logits[i], params, rngs[i]);
        tokens.get(i).add(tok);
        logprobs.get(i).add((float) out.logp[i * v + tok]);
        entropies.get(i).add((float) out.entropy[i]);
        if (tok == params.eosId()) {
          active[i] = false;
        }
        any |= active[i];
      }
      if (!any) {
        break;
      }
    }
    int[][] responses = new int[b][];
    float[][] lps = new float[b][];
    float[][] ents = new float[b][];
    for (int i = 0; i < b; i++) {
      responses[i] = tokens.get(i).stream().mapToInt(Integer::intValue).toArray();
      lps[i] = unbox(logprobs.get(i));
      ents[i] = unbox(entropies.get(i));
    }
    return new Generation(responses, lps, ents, active.clone());
  }

  /** Logits [B][V], log-softmax at the sampling temperature [B*V] and entropies [B] of a step. */
  private record StepOutput(double[][] logits, double[] logp, double[] entropy) {}

  private interface Decoder {
    StepOutput prefill();

    StepOutput next(int[] lastTokens, int step);
  }

  /** The reference: the full graph over every row's prompt ++ generated tokens, left-padded. */
  private StepOutput fullStep(int[][] prompts, List<List<Integer>> generated, double temp) {
    int[][] seqs = new int[prompts.length][];
    for (int i = 0; i < prompts.length; i++) {
      List<Integer> g = generated.get(i);
      seqs[i] = java.util.Arrays.copyOf(prompts[i], prompts[i].length + g.size());
      for (int j = 0; j < g.size(); j++) {
        seqs[i][prompts[i].length + j] = g.get(j);
      }
    }
    PackedBatch batch = PackedBatch.leftPadded(seqs);
    Map<String, INDArray> out =
        graph.full.output(batch.inputs(cfg, graph.dtype, temp), "logits", "logp", "entropy");
    return lastSlots(batch, out);
  }

  /** Rows of the last slot of every sequence (all rows end there: left padding). */
  private StepOutput lastSlots(PackedBatch batch, Map<String, INDArray> out) {
    int v = cfg.vocabSize();
    double[] logits = Tensors.toDoubles(out.get("logits")); // [NT, V]
    double[] logp = Tensors.toDoubles(out.get("logp")); // [NT, V]
    double[] entropy = Tensors.toDoubles(out.get("entropy")); // [NT]
    double[][] rowLogits = new double[batch.rows][];
    double[] rowLogp = new double[batch.rows * v];
    double[] rowEntropy = new double[batch.rows];
    for (int i = 0; i < batch.rows; i++) {
      int r = batch.flatRow(i, batch.slots - 1);
      rowLogits[i] = java.util.Arrays.copyOfRange(logits, r * v, (r + 1) * v);
      System.arraycopy(logp, r * v, rowLogp, i * v, v);
      rowEntropy[i] = entropy[r];
    }
    return new StepOutput(rowLogits, rowLogp, rowEntropy);
  }

  /**
   * KV-cache decoding. The cache has one slot per prompt slot (left-padded to P) plus one per
   * decoded token; pad slots stay masked for the whole generation.
   */
  private final class CachedDecoder implements Decoder {
    private final int[][] prompts;
    private final double temperature;
    private final PackedBatch batch;
    private final INDArray[] kCache;
    private final INDArray[] vCache;

    CachedDecoder(int[][] prompts, double temperature) {
      this.prompts = prompts;
      this.temperature = temperature;
      this.batch = PackedBatch.leftPadded(prompts);
      this.kCache = new INDArray[cfg.layers()];
      this.vCache = new INDArray[cfg.layers()];
    }

    @Override
    public StepOutput prefill() {
      List<String> names = new ArrayList<>(List.of("logits", "logp", "entropy"));
      names.addAll(graph.prefillCacheOutputs());
      Map<String, INDArray> out =
          graph.full.output(batch.inputs(cfg, graph.dtype, temperature), names);
      for (int l = 0; l < cfg.layers(); l++) {
        kCache[l] = out.get("k_" + l); // [B, P, H, hd]
        vCache[l] = out.get("v_" + l);
      }
      return lastSlots(batch, out);
    }

    @Override
    public StepOutput next(int[] lastTokens, int step) {
      int b = batch.rows;
      int v = cfg.vocabSize();
      int s = cfg.maxSeqLen();
      int cacheLen = batch.slots + step - 1; // slots already cached; the new token gets this one
      float[] tokens = new float[b * v];
      float[] positions = new float[b * s];
      float[] mask = new float[b * (cacheLen + 1)];
      for (int i = 0; i < b; i++) {
        tokens[i * v + lastTokens[i]] = 1f;
        positions[i * s + prompts[i].length + step - 1] = 1f;
        java.util.Arrays.fill(
            mask,
            i * (cacheLen + 1),
            i * (cacheLen + 1) + batch.offset[i],
            TransformerGraph.MASKED);
      }
      Map<String, INDArray> ph = new HashMap<>();
      ph.put("tokens", Tensors.array(tokens, graph.dtype, b, v));
      ph.put("positions", Tensors.array(positions, graph.dtype, b, s));
      ph.put("attnMask", Tensors.array(mask, graph.dtype, b, cacheLen + 1, 1));
      ph.put("headShape", Nd4j.createFromArray((long) b, 1, cfg.heads(), cfg.headDim()));
      ph.put("invTemp", Nd4j.scalar(graph.dtype, 1.0 / temperature));
      List<String> names = new ArrayList<>(List.of("logits", "logp", "entropy"));
      for (int l = 0; l < cfg.layers(); l++) {
        ph.put("kCache_" + l, kCache[l]);
        ph.put("vCache_" + l, vCache[l]);
        names.add("kOut_" + l);
        names.add("vOut_" + l);
      }
      Map<String, INDArray> out = graph.decode.output(ph, names);
      for (int l = 0; l < cfg.layers(); l++) {
        kCache[l] = out.get("kOut_" + l); // [B, C+1, H, hd]
        vCache[l] = out.get("vOut_" + l);
      }
      double[] logits = Tensors.toDoubles(out.get("logits")); // [B, V]
      double[][] rows = new double[b][];
      for (int i = 0; i < b; i++) {
        rows[i] = java.util.Arrays.copyOfRange(logits, i * v, (i + 1) * v);
      }
      return new StepOutput(
          rows, Tensors.toDoubles(out.get("logp")), Tensors.toDoubles(out.get("entropy")));
    }
  }

  private static int[] lastTokens(List<List<Integer>> tokens) {
    int[] last = new int[tokens.size()];
    for (int i = 0; i < last.length; i++) {
      List<Integer> t = tokens.get(i);
      last[i] = t.get(t.size() - 1); // finished rows repeat their last token; output ignored
    }
    return last;
  }

  private static float[] unbox(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
