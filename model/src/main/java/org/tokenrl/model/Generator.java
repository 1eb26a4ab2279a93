package org.tokenrl.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tokenrl.model.arch.Batch;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.model.arch.Transformer;
import org.tokenrl.model.nn.KvCache;
import org.tokenrl.model.nn.LmHead;
import org.tokenrl.model.nn.Ops;
import org.tokenrl.model.nn.Scratch;
import org.tokenrl.model.nn.Tensors;

/**
 * Autoregressive sampling for a {@link Policy}: either with the KV cache (one forward pass per
 * distinct prompt fills the cache's prompt blocks, then one {@link Transformer#decode} step per new
 * token for all rows at once) or, as the reference, by re-running the full forward pass on the
 * whole right-padded sequences each step.
 *
 * <p>Rows with identical prompts (the G samples of a GRPO group) share one prompt block: the prompt
 * is prefilled once and its rows' decode steps read the same keys and values. Sharing changes no
 * number: a row's prefill, logits and attention are computed the same way whichever rows share its
 * block, so tokens, log-probs and entropies are bit-identical with sharing off.
 */
final class Generator {
  private final Transformer model;
  private final ModelSpec spec;
  private final Scratch scratch;
  // -Dtokenrl.sharePrompts=false: every row prefills its own prompt (to measure what sharing saves)
  private boolean sharePrompts = !"false".equals(System.getProperty("tokenrl.sharePrompts"));

  Generator(Transformer model, Scratch scratch) {
    this.model = model;
    this.spec = model.spec();
    this.scratch = scratch;
  }

  private int samplingThreads = org.tokenrl.core.Threads.blas();

  /**
   * Slices of rows drawn, and attended over the cache, in parallel (default: the BLAS threads);
   * tests compare counts.
   */
  void samplingThreads(int n) {
    samplingThreads = Math.max(1, n);
  }

  /** Off: every row gets its own prompt block (tests compare the two). */
  void sharePrompts(boolean on) {
    sharePrompts = on;
  }

  /**
   * Row i's prompt block: the index of the first row with the same prompt among the distinct ones,
   * in order of first appearance (every row its own block when sharing is off).
   */
  static int[] blocks(int[][] prompts, boolean share) {
    int[] blockOf = new int[prompts.length];
    java.util.Map<java.util.List<Integer>, Integer> seen = new java.util.HashMap<>();
    for (int i = 0; i < prompts.length; i++) {
      if (!share) {
        blockOf[i] = i;
        continue;
      }
      List<Integer> key = java.util.Arrays.stream(prompts[i]).boxed().toList();
      Integer block = seen.get(key);
      if (block == null) {
        block = seen.size();
        seen.put(key, block);
      }
      blockOf[i] = block;
    }
    return blockOf;
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
    int vocab = (int) model.headWeight().size(0);
    // Rows draw in parallel slices (each row has its own RNG, so the draws are the same in any
    // order); one slice per BLAS thread, each with its own buffer for the sampler's exponentials.
    int slices = Math.min(b, samplingThreads);
    double[][] work = new double[slices][vocab];
    // Without a sink, every step's logits go into the same rows (6 MB a step at B16 x 49k).
    double[][] reused = logitsSink == null ? new double[b][vocab] : null;
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
    int[] blockOf = blocks(prompts, sharePrompts);
    KvCache cache = useCache ? model.newCache(blockOf, params.maxNewTokens()) : null;
    if (cache != null) {
      cache.attendThreads(samplingThreads); // the same slices of rows as the draws
    }
    double[][] logits = reused;
    int liveCount = b; // rows the cache still decodes: finished rows drop out of the steps
    try {
      for (int step = 0; step < params.maxNewTokens(); step++) {
        if (cache != null && step > 0 && liveCount < cache.liveRows().length) {
          cache.keepRows(activeRows(active, liveCount));
        }
        if (logitsSink != null) {
          logits = new double[b][];
        }
        stepLogits(step, prompts, blockOf, tokens, cache, logits);

        if (logitsSink != null) {
          logitsSink.add(logits);
        }
        Sampler.Draw[] draws = draw(logits, params, rngs, active, work);
        boolean any = false;
        for (int i = 0; i < b; i++) {
          if (!active[i]) {
            continue;
          }
          Sampler.Draw draw = draws[i];
          int tok = draw.token();
          tokens.get(i).add(tok);
          logprobs.get(i).add((float) draw.logProb());
          entropies.get(i).add((float) draw.entropy());
          if (params.stops(tok)) {
            active[i] = false;
            liveCount--;
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

  /** The indices of the {@code count} rows still active, ascending. */
  private static int[] activeRows(boolean[] active, int count) {
    int[] rows = new int[count];
    int n = 0;
    for (int i = 0; i < active.length; i++) {
      if (active[i]) {
        rows[n++] = i;
      }
    }
    return rows;
  }

  /**
   * The active rows' draws, in {@code work.length} contiguous slices of rows run in parallel (one
   * slice: on this thread). A row's draw reads only its logits and its RNG.
   */
  private static Sampler.Draw[] draw(
      double[][] logits,
      SamplingParams params,
      SplittableRandom[] rngs,
      boolean[] active,
      double[][] work) {
    int b = logits.length;
    Sampler.Draw[] draws = new Sampler.Draw[b];
    int slices = work.length;
    java.util.function.IntConsumer slice =
        k -> {
          for (int i = k * b / slices; i < (k + 1) * b / slices; i++) {
            if (active[i]) {
              draws[i] = Sampler.draw(logits[i], params, rngs[i], work[k]);
            }
          }
        };
    if (slices == 1) {
      slice.accept(0);
    } else {
      java.util.stream.IntStream.range(0, slices).parallel().forEach(slice);
    }
    return draws;
  }

  /**
   * Raw logits [B][V] at each row's last token, written into {@code into} (null rows are created):
   * step 0 prefills the cache's prompt blocks ({@link #prefill}), later steps decode the previous
   * tokens of the cache's live rows at once (rows that finished get no logits: their rows of {@code
   * into} are left as they are); without a cache, a full forward pass over everything so far. Every
   * activation lives in the scratch workspace.
   */
  private void stepLogits(
      int step,
      int[][] prompts,
      int[] blockOf,
      List<List<Integer>> tokens,
      KvCache cache,
      double[][] into) {
    if (cache != null && step == 0) {
      prefill(prompts, blockOf, cache, into);
      return;
    }
    try (var ws = scratch.open()) {
      if (cache == null) {
        logits(lastRows(prompts, tokens), into, null); // [B, d]
        return;
      }
      int[] live = cache.liveRows();
      int[] last = new int[live.length];
      int[] positions = new int[live.length];
      for (int r = 0; r < live.length; r++) {
        List<Integer> t = tokens.get(live[r]);
        last[r] = t.get(t.size() - 1);
        positions[r] = prompts[live[r]].length + step - 1;
      }
      logits(model.decode(last, positions, cache), into, live); // hidden [L, d]
    }
  }

  /**
   * Step 0 with the cache: each distinct prompt is prefilled in a pass of its own and its logits
   * are copied to its rows. One prompt per pass, unpadded, because a BLAS product's rows come out
   * differently in their last bits depending on how many rows it has (OpenBLAS blocks by rows): a
   * row's prompt keys and first logits are then a function of its prompt alone, the same whether
   * its prompt block is shared or not.
   */
  private void prefill(int[][] prompts, int[] blockOf, KvCache cache, double[][] into) {
    double[][] perPrompt = new double[cache.blocks()][];
    for (int i = 0; i < prompts.length; i++) {
      int u = blockOf[i];
      if (perPrompt[u] == null) {
        try (var ws = scratch.open()) {
          Batch batch = Batch.leftPadded(new int[][] {prompts[i]}, spec.maxSeqLen());
          INDArray all = model.prefill(batch, cache); // [P, d]
          perPrompt[u] = logits(lastSlots(all, batch), null, null)[0];
        }
      }
      if (into[i] == null) {
        into[i] = new double[perPrompt[u].length];
      }
      System.arraycopy(perPrompt[u], 0, into[i], 0, perPrompt[u].length);
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

  /**
   * Raw logits [V] of the hidden rows, computed in chunks of rows: hidden row r goes to row {@code
   * rows[r]} of {@code into} (row r when {@code rows} is null; null rows are created), or into new
   * rows when {@code into} is null.
   */
  private double[][] logits(INDArray hidden, double[][] into, int[] rows) {
    INDArray w = model.headWeight();
    int b = (int) hidden.size(0);
    int v = (int) w.size(0);
    double[][] out = into != null ? into : new double[b][];
    double[][] dest = new double[b][];
    for (int r = 0; r < b; r++) {
      int i = rows == null ? r : rows[r];
      if (out[i] == null) {
        out[i] = new double[v];
      }
      dest[r] = out[i];
    }
    int chunk = LmHead.chunkRows(w.size(0));
    for (int from = 0; from < b; from += chunk) {
      int to = Math.min(b, from + chunk);
      INDArray h = hidden.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
      INDArray z = Ops.mm(h, false, w, true); // [c, V], row-major, a fresh buffer (offset 0)
      Tensors.copyRows(z, dest, from);
      Ops.free(z);
    }
    return out;
  }

  private static float[] unbox(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
