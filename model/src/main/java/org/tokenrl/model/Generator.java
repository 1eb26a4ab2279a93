package org.tokenrl.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Autoregressive sampling for a {@link Policy}: either with the KV cache (one forward pass over the
 * left-padded prompts fills the cache, then one {@link Transformer#decode} step per new token for
 * all rows at once) or, as the reference, by re-running the full forward pass on the whole
 * right-padded sequences each step.
 */
final class Generator {
  private final Transformer model;
  private final ModelSpec spec;
  private final Scratch scratch;

  Generator(Transformer model, Scratch scratch) {
    this.model = model;
    this.spec = model.spec();
    this.scratch = scratch;
  }

  Generation run(
      int[][] prompts,
      SamplingParams params,
      long[] rowSeeds,
      boolean useCache,
      List<double[][]> logitsSink) {
    int b = prompts.length;
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
    if (maxPrompt + params.maxNewTokens() - 1 > spec.maxSeqLen()) {
      throw new IllegalArgumentException(
          "longest prompt ("
              + maxPrompt
              + ") + maxNewTokens ("
              + params.maxNewTokens()
              + ") - 1 exceeds the model's "
              + spec.maxSeqLen()
              + " positions: lower sampling.maxNewTokens or shorten the prompts");
    }
    if (b == 0) {
      return new Generation(new int[0][], new float[0][], new float[0][], new boolean[0]);
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
    KvCache cache = useCache ? model.newCache(b, maxPrompt + params.maxNewTokens()) : null;
    try {
      for (int step = 0; step < params.maxNewTokens(); step++) {
        double[][] logits = stepLogits(step, prompts, tokens, cache);
        if (logitsSink != null) {
          logitsSink.add(logits);
        }
        boolean any = false;
        for (int i = 0; i < b; i++) {
          if (!active[i]) {
            continue;
          }
          int tok = Sampler.next(logits[i], params, rngs[i]);
          double[] lpEnt = logProbAndEntropy(logits[i], tok, temperature);
          tokens.get(i).add(tok);
          logprobs.get(i).add((float) lpEnt[0]);
          entropies.get(i).add((float) lpEnt[1]);
          if (params.stops(tok)) {
            active[i] = false;
          }
          any |= active[i];
        }
        if (!any) {
          break;
        }
      }
    } finally {
      if (cache != null) {
        cache.close();
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

  /**
   * Raw logits [B][V] at each row's last token: step 0 prefills the cache with one forward pass
   * over the left-padded prompts, later steps decode the previous tokens; without a cache, a full
   * forward pass over everything so far. Every activation lives in the scratch workspace.
   */
  private double[][] stepLogits(
      int step, int[][] prompts, List<List<Integer>> tokens, KvCache cache) {
    try (var ws = scratch.open()) {
      INDArray hidden; // [B, d]
      if (cache == null) {
        hidden = lastRows(prompts, tokens);
      } else if (step == 0) {
        Batch batch = Batch.leftPadded(prompts, spec.maxSeqLen());
        INDArray all = model.prefill(batch, cache); // [B·P, d]
        hidden = lastSlots(all, batch);
      } else {
        int b = prompts.length;
        int[] last = new int[b];
        int[] positions = new int[b];
        for (int i = 0; i < b; i++) {
          List<Integer> t = tokens.get(i);
          last[i] = t.get(t.size() - 1); // finished rows repeat their last token; ignored
          positions[i] = prompts[i].length + step - 1;
        }
        hidden = model.decode(last, positions, cache);
      }
      return logits(hidden);
    }
  }

  /** The reference step: a full forward pass over prompt ++ generated, right-padded. */
  private INDArray lastRows(int[][] prompts, List<List<Integer>> generated) {
    int[][] seqs = new int[prompts.length][];
    for (int i = 0; i < prompts.length; i++) {
      List<Integer> g = generated.get(i);
      seqs[i] = java.util.Arrays.copyOf(prompts[i], prompts[i].length + g.size());
      for (int j = 0; j < g.size(); j++) {
        seqs[i][prompts[i].length + j] = g.get(j);
      }
    }
    Batch batch = Batch.rightPadded(seqs, spec.maxSeqLen());
    return lastSlots(model.forward(batch, false), batch);
  }

  private static INDArray lastSlots(INDArray hidden, Batch batch) {
    int[] rows = new int[batch.rows];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = batch.flat(i, batch.length[i] - 1);
    }
    return Nd4j.pullRows(hidden, 1, rows);
  }

  /** Raw logits [B][V] of the hidden rows, computed in chunks of rows. */
  private double[][] logits(INDArray hidden) {
    INDArray w = model.headWeight();
    int b = (int) hidden.size(0);
    int v = (int) w.size(0);
    double[][] out = new double[b][];
    int chunk = LmHead.chunkRows(w.size(0));
    for (int from = 0; from < b; from += chunk) {
      int to = Math.min(b, from + chunk);
      INDArray h = hidden.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
      INDArray z = Ops.mm(h, false, w, true); // [c, V], row-major
      double[] flat = z.data().asDouble();
      for (int r = from; r < to; r++) {
        out[r] = java.util.Arrays.copyOfRange(flat, (r - from) * v, (r - from + 1) * v);
      }
      Ops.free(z);
    }
    return out;
  }

  /**
   * log p(tok) and entropy of softmax(logits / temperature), in double, with one exp per id:
   * H = −Σ p (z − lse) = lse − Σ p z for z = logits / temperature.
   */
  static double[] logProbAndEntropy(double[] logits, int tok, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (double z : logits) {
      max = Math.max(max, z / temperature);
    }
    double sum = 0;
    double weighted = 0; // Σ e^(z − max) · (z − max)
    for (double z : logits) {
      double shifted = z / temperature - max;
      double e = Math.exp(shifted);
      sum += e;
      weighted += e * shifted;
    }
    double logSum = Math.log(sum); // lse − max
    return new double[] {logits[tok] / temperature - max - logSum, logSum - weighted / sum};
  }

  private static float[] unbox(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
