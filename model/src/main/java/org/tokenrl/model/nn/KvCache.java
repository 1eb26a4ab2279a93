package org.tokenrl.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.arch.Batch;

/**
 * Per-layer keys and values of B sequences that may share prompts: one prompt block per distinct
 * prompt, written once by the prefill, and one tail per row for the tokens it generates. Row i
 * reads prompt block {@code blockOf[i]} and then its own tail, so the G samples of a group read one
 * copy of their prompt's keys and values (G = 8 rows, ~45 of ~60 tokens shared: the prefill and the
 * cache shrink by about 8x for the prompt part). Without shared prompts every row is its own block,
 * and the arithmetic is the same: a row's numbers never depend on which rows share its block.
 *
 * <p>Rows that have finished generating drop out of the decode steps ({@link #keepRows}): a step
 * then computes only the rows still sampling, which matter more than their count suggests because a
 * batch decodes until its longest answer ends (at ~15 of 24 tokens on average, a third of the
 * row-steps would go to rows already done).
 *
 * <p>Layout (kv = key/value heads, hd = head dim, L = a block's prompt length, C = tail capacity):
 * keys are stored transposed, [kv, hd, L] and [kv, hd, C], so a query's scores are axpy loops over
 * slots; values as [kv, L, hd] and [kv, C, hd], so the weighted sum is an axpy over hd. They are
 * held on the Java heap in the model's own precision (float arrays for a float model: twice the
 * SIMD lanes and half the memory traffic of double, which the attention of a decode step is bound
 * by; double arrays for a double model, whose tests compare against the full pass to 1e-9), so a
 * decode step reads and writes them without ND4J calls.
 */
public final class KvCache implements AutoCloseable {
  private final int layers;
  private final int kvHeads;
  private final int headDim;
  private final int capacity;
  private final int[] blockOf;
  private final int blocks;
  private final boolean floats; // float storage (a float model), else double
  private final double[][][] promptKeys; // [layer][block] -> [kv, hd, L]
  private final double[][][] promptValues; // [layer][block] -> [kv, L, hd]
  private final double[][] tailKeys; // [layer] -> [B, kv, hd, C]
  private final double[][] tailValues; // [layer] -> [B, kv, C, hd]
  private final float[][][] promptKeysF; // the same in float
  private final float[][][] promptValuesF;
  private final float[][] tailKeysF;
  private final float[][] tailValuesF;
  private final int[] promptLength; // [block]
  private int[] live; // the rows a decode step computes, in the order of its input rows
  private int filledBlocks; // prompt blocks prefilled so far
  private int length;

  /**
   * A cache for {@code blockOf.length} rows, row i reading prompt block {@code blockOf[i]} (blocks
   * numbered 0..max), with room for {@code capacity} generated tokens per row, stored in float when
   * {@code floats}, else in double.
   */
  public KvCache(
      int layers, int kvHeads, int headDim, int[] blockOf, int capacity, boolean floats) {
    this.floats = floats;
    this.layers = layers;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.capacity = capacity;
    this.blockOf = blockOf.clone();
    int max = -1;
    for (int b : blockOf) {
      max = Math.max(max, b);
    }
    this.blocks = max + 1;
    int rows = blockOf.length;
    int tail = rows * kvHeads * headDim * capacity;
    promptKeys = floats ? null : new double[layers][blocks][];
    promptValues = floats ? null : new double[layers][blocks][];
    tailKeys = floats ? null : new double[layers][tail];
    tailValues = floats ? null : new double[layers][tail];
    promptKeysF = floats ? new float[layers][blocks][] : null;
    promptValuesF = floats ? new float[layers][blocks][] : null;
    tailKeysF = floats ? new float[layers][tail] : null;
    tailValuesF = floats ? new float[layers][tail] : null;
    promptLength = new int[blocks];
    live = new int[rows];
    for (int i = 0; i < rows; i++) {
      live[i] = i;
    }
  }

  /**
   * From the next decode step on, only {@code rows} (ascending cache rows) are computed: step
   * inputs and outputs have one row per entry, entry r being cache row {@code rows[r]}. Rows left
   * out keep their slots but are never written or read again.
   */
  public void keepRows(int[] rows) {
    for (int r = 0; r < rows.length; r++) {
      if (rows[r] < 0
          || rows[r] >= blockOf.length
          || (r > 0 && rows[r] <= rows[r - 1])
          || java.util.Arrays.binarySearch(live, rows[r]) < 0) {
        throw new IllegalArgumentException(
            "keepRows needs ascending rows still live, got " + java.util.Arrays.toString(rows));
      }
    }
    live = rows.clone();
  }

  /** The rows a decode step computes (cache row of each input row). */
  public int[] liveRows() {
    return live.clone();
  }

  public int rows() {
    return blockOf.length;
  }

  public int blocks() {
    return blocks;
  }

  /** Generated tokens written per row so far. */
  public int length() {
    return length;
  }

  /**
   * Stores layer l's keys and values of a prefill pass over the next {@code prompts.rows} prompt
   * blocks: k and v [N, kv, T, hd] of the left-padded batch {@code prompts}; only each prompt's
   * real slots are kept. {@link #prefilled} moves past the blocks once every layer is stored.
   */
  public void storePrompts(int layer, INDArray k, INDArray v, Batch prompts) {
    if (filledBlocks + prompts.rows > blocks) {
      throw new IllegalArgumentException(
          "prefill of "
              + prompts.rows
              + " prompts after "
              + filledBlocks
              + " for a cache of "
              + blocks
              + " prompt blocks");
    }
    if (floats) {
      storePromptsF(layer, Tensors.toFloats(k), Tensors.toFloats(v), prompts);
      return;
    }
    double[] kAll = Tensors.toDoubles(k);
    double[] vAll = Tensors.toDoubles(v);
    int t = prompts.slots;
    for (int row = 0; row < prompts.rows; row++) {
      int u = filledBlocks + row;
      int len = prompts.length[row];
      int off = prompts.offset[row];
      double[] kb = new double[kvHeads * headDim * len];
      double[] vb = new double[kvHeads * len * headDim];
      for (int g = 0; g < kvHeads; g++) {
        for (int s = 0; s < len; s++) {
          int src = ((row * kvHeads + g) * t + off + s) * headDim;
          for (int d = 0; d < headDim; d++) {
            kb[(g * headDim + d) * len + s] = kAll[src + d];
          }
          System.arraycopy(vAll, src, vb, (g * len + s) * headDim, headDim);
        }
      }
      promptKeys[layer][u] = kb;
      promptValues[layer][u] = vb;
      promptLength[u] = len;
    }
  }

  /** {@link #storePrompts} into float storage. */
  private void storePromptsF(int layer, float[] kAll, float[] vAll, Batch prompts) {
    int t = prompts.slots;
    for (int row = 0; row < prompts.rows; row++) {
      int u = filledBlocks + row;
      int len = prompts.length[row];
      int off = prompts.offset[row];
      float[] kb = new float[kvHeads * headDim * len];
      float[] vb = new float[kvHeads * len * headDim];
      for (int g = 0; g < kvHeads; g++) {
        for (int s = 0; s < len; s++) {
          int src = ((row * kvHeads + g) * t + off + s) * headDim;
          for (int d = 0; d < headDim; d++) {
            kb[(g * headDim + d) * len + s] = kAll[src + d];
          }
          System.arraycopy(vAll, src, vb, (g * len + s) * headDim, headDim);
        }
      }
      promptKeysF[layer][u] = kb;
      promptValuesF[layer][u] = vb;
      promptLength[u] = len;
    }
  }

  /** After a prefill pass of {@code prompts}: its blocks are complete in every layer. */
  public void prefilled(Batch prompts) {
    filledBlocks += prompts.rows;
  }

  /**
   * Writes k, v [L, kv·hd] of layer l at the next tail slot of each live row (advance() moves past
   * it).
   */
  public void write(int layer, INDArray k, INDArray v) {
    if (length >= capacity) {
      throw new IllegalStateException("KV cache full (" + capacity + " slots)");
    }
    if (filledBlocks != blocks) {
      throw new IllegalStateException(filledBlocks + " of " + blocks + " prompt blocks prefilled");
    }
    if (floats) {
      writeF(layer, Tensors.toFloats(k), Tensors.toFloats(v));
      return;
    }
    double[] kr = Tensors.toDoubles(k);
    double[] vr = Tensors.toDoubles(v);
    double[] tk = tailKeys[layer];
    double[] tv = tailValues[layer];
    for (int r = 0; r < live.length; r++) {
      int i = live[r];
      for (int g = 0; g < kvHeads; g++) {
        int src = (r * kvHeads + g) * headDim;
        int kAt = (i * kvHeads + g) * headDim * capacity + length;
        for (int d = 0; d < headDim; d++) {
          tk[kAt + d * capacity] = kr[src + d];
        }
        System.arraycopy(vr, src, tv, ((i * kvHeads + g) * capacity + length) * headDim, headDim);
      }
    }
  }

  private void writeF(int layer, float[] kr, float[] vr) {
    float[] tk = tailKeysF[layer];
    float[] tv = tailValuesF[layer];
    for (int r = 0; r < live.length; r++) {
      int i = live[r];
      for (int g = 0; g < kvHeads; g++) {
        int src = (r * kvHeads + g) * headDim;
        int kAt = (i * kvHeads + g) * headDim * capacity + length;
        for (int d = 0; d < headDim; d++) {
          tk[kAt + d * capacity] = kr[src + d];
        }
        System.arraycopy(vr, src, tv, ((i * kvHeads + g) * capacity + length) * headDim, headDim);
      }
    }
  }

  public void advance() {
    length++;
  }

  /** Whether the cache holds float arrays (then {@link #attend} takes and gives floats). */
  public boolean floats() {
    return floats;
  }

  /**
   * Attention of one new query per live row over its prompt block and its tail slots [0, tail): q
   * [L, H·hd] -> out [L, H·hd], H = rep·kv query heads, query head h reading key/value head h /
   * rep. Scores over both parts go into one row before the softmax, so it is the exact softmax over
   * all slots the row sees; every sum runs in a fixed order (over hd for a score, prompt slots then
   * tail slots for the output), so a row's result does not depend on the other rows, nor on how
   * many threads share the rows (contiguous slices of rows, one per BLAS thread, as the draws).
   */
  void attend(int layer, double[] q, int heads, int tail, double scale, double[] out) {
    int maxPrompt = 0;
    for (int len : promptLength) {
      maxPrompt = Math.max(maxPrompt, len);
    }
    int n = live.length;
    int slices = Math.min(n, attendThreads);
    int width = maxPrompt + tail;
    if (slices <= 1) {
      attendRows(layer, q, heads, tail, scale, out, 0, n, new double[width]);
      return;
    }
    java.util.stream.IntStream.range(0, slices)
        .parallel()
        .forEach(
            k ->
                attendRows(
                    layer,
                    q,
                    heads,
                    tail,
                    scale,
                    out,
                    k * n / slices,
                    (k + 1) * n / slices,
                    new double[width]));
  }

  /** {@link #attend} of a float cache: the same sums in float. */
  void attend(int layer, float[] q, int heads, int tail, float scale, float[] out) {
    int maxPrompt = 0;
    for (int len : promptLength) {
      maxPrompt = Math.max(maxPrompt, len);
    }
    int n = live.length;
    int slices = Math.min(n, attendThreads);
    int width = maxPrompt + tail;
    if (slices <= 1) {
      attendRowsF(layer, q, heads, tail, scale, out, 0, n, new float[width]);
      return;
    }
    java.util.stream.IntStream.range(0, slices)
        .parallel()
        .forEach(
            k ->
                attendRowsF(
                    layer,
                    q,
                    heads,
                    tail,
                    scale,
                    out,
                    k * n / slices,
                    (k + 1) * n / slices,
                    new float[width]));
  }

  private int attendThreads = org.tokenrl.core.Threads.blas();

  /** Slices of rows attended in parallel (default: the BLAS threads); tests compare counts. */
  public void attendThreads(int n) {
    attendThreads = Math.max(1, n);
  }

  /** Input rows [from, to) of {@link #attend}; {@code s} holds one query's scores. */
  private void attendRows(
      int layer,
      double[] q,
      int heads,
      int tail,
      double scale,
      double[] out,
      int from,
      int to,
      double[] s) {
    int rep = heads / kvHeads;
    double[] tk = tailKeys[layer];
    double[] tv = tailValues[layer];
    for (int r = from; r < to; r++) {
      int i = live[r];
      int u = blockOf[i];
      int plen = promptLength[u];
      double[] pk = promptKeys[layer][u];
      double[] pv = promptValues[layer][u];
      int n = plen + tail;
      for (int g = 0; g < kvHeads; g++) {
        int pkAt = g * headDim * plen;
        int tkAt = (i * kvHeads + g) * headDim * capacity;
        int pvAt = g * plen * headDim;
        int tvAt = (i * kvHeads + g) * capacity * headDim;
        for (int h = 0; h < rep; h++) {
          int qAt = (r * heads + g * rep + h) * headDim;
          java.util.Arrays.fill(s, 0, n, 0.0);
          for (int d = 0; d < headDim; d++) {
            double qd = q[qAt + d];
            int pRow = pkAt + d * plen;
            for (int j = 0; j < plen; j++) {
              s[j] += qd * pk[pRow + j];
            }
            int tRow = tkAt + d * capacity;
            for (int j = 0; j < tail; j++) {
              s[plen + j] += qd * tk[tRow + j];
            }
          }
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < n; j++) {
            s[j] *= scale;
            max = Math.max(max, s[j]);
          }
          double total = 0;
          for (int j = 0; j < n; j++) {
            s[j] = Math.exp(s[j] - max);
            total += s[j];
          }
          double inv = 1.0 / total;
          java.util.Arrays.fill(out, qAt, qAt + headDim, 0.0);
          for (int j = 0; j < plen; j++) {
            double p = s[j] * inv;
            int at = pvAt + j * headDim;
            for (int d = 0; d < headDim; d++) {
              out[qAt + d] += p * pv[at + d];
            }
          }
          for (int j = 0; j < tail; j++) {
            double p = s[plen + j] * inv;
            int at = tvAt + j * headDim;
            for (int d = 0; d < headDim; d++) {
              out[qAt + d] += p * tv[at + d];
            }
          }
        }
      }
    }
  }

  /** {@link #attendRows} in float; the softmax's exponentials and their sum in double. */
  private void attendRowsF(
      int layer,
      float[] q,
      int heads,
      int tail,
      float scale,
      float[] out,
      int from,
      int to,
      float[] s) {
    int rep = heads / kvHeads;
    float[] tk = tailKeysF[layer];
    float[] tv = tailValuesF[layer];
    for (int r = from; r < to; r++) {
      int i = live[r];
      int u = blockOf[i];
      int plen = promptLength[u];
      float[] pk = promptKeysF[layer][u];
      float[] pv = promptValuesF[layer][u];
      int n = plen + tail;
      for (int g = 0; g < kvHeads; g++) {
        int pkAt = g * headDim * plen;
        int tkAt = (i * kvHeads + g) * headDim * capacity;
        int pvAt = g * plen * headDim;
        int tvAt = (i * kvHeads + g) * capacity * headDim;
        for (int h = 0; h < rep; h++) {
          int qAt = (r * heads + g * rep + h) * headDim;
          java.util.Arrays.fill(s, 0, n, 0f);
          for (int d = 0; d < headDim; d++) {
            float qd = q[qAt + d] * scale;
            int pRow = pkAt + d * plen;
            for (int j = 0; j < plen; j++) {
              s[j] += qd * pk[pRow + j];
            }
            int tRow = tkAt + d * capacity;
            for (int j = 0; j < tail; j++) {
              s[plen + j] += qd * tk[tRow + j];
            }
          }
          float max = Float.NEGATIVE_INFINITY;
          for (int j = 0; j < n; j++) {
            max = Math.max(max, s[j]);
          }
          double total = 0;
          for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(s[j] - max);
            s[j] = e;
            total += e;
          }
          float inv = (float) (1.0 / total);
          java.util.Arrays.fill(out, qAt, qAt + headDim, 0f);
          for (int j = 0; j < plen; j++) {
            float p = s[j] * inv;
            int at = pvAt + j * headDim;
            for (int d = 0; d < headDim; d++) {
              out[qAt + d] += p * pv[at + d];
            }
          }
          for (int j = 0; j < tail; j++) {
            float p = s[plen + j] * inv;
            int at = tvAt + j * headDim;
            for (int d = 0; d < headDim; d++) {
              out[qAt + d] += p * tv[at + d];
            }
          }
        }
      }
    }
  }

  /** The Java arrays are the garbage collector's; nothing native to free. */
  @Override
  public void close() {}
}
