package org.tokenrl.model;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Token sequences of different lengths packed into N rows of T slots for the full graph. Row i's
 * tokens occupy slots [offset[i], offset[i] + length[i]) and get positions 0, 1, ...; the attention
 * mask lets a slot see only earlier-or-equal slots of its own row's tokens (a pad slot sees only
 * itself; nothing reads its output). Right-padding (offset 0) is used for scoring, left-padding
 * (all rows end at slot T-1) for prefilling the KV cache, so that every row's next token is decoded
 * at the same cache index.
 */
final class PackedBatch {
  final int rows;
  final int slots;
  final int[] offset;
  final int[] length;
  private final int[][] seqs;

  private PackedBatch(int[][] seqs, int slots, boolean leftPad) {
    this.seqs = seqs;
    this.rows = seqs.length;
    this.slots = slots;
    this.offset = new int[rows];
    this.length = new int[rows];
    for (int i = 0; i < rows; i++) {
      length[i] = seqs[i].length;
      offset[i] = leftPad ? slots - length[i] : 0;
    }
  }

  static PackedBatch rightPadded(int[][] seqs) {
    return new PackedBatch(seqs, maxLength(seqs), false);
  }

  static PackedBatch leftPadded(int[][] seqs) {
    return new PackedBatch(seqs, maxLength(seqs), true);
  }

  private static int maxLength(int[][] seqs) {
    int t = 0;
    for (int[] s : seqs) {
      t = Math.max(t, s.length);
    }
    return t;
  }

  /** Flat row of slot {@code slot} of sequence {@code row} in the [NT, ...] arrays. */
  int flatRow(int row, int slot) {
    return row * slots + slot;
  }

  /** Placeholders tokens, positions, attnMask, headShape and invTemp of the full graph. */
  Map<String, INDArray> inputs(ModelConfig cfg, DataType dtype, double temperature) {
    int v = cfg.vocabSize();
    int s = cfg.maxSeqLen();
    int nt = rows * slots;
    float[] tokens = new float[nt * v];
    float[] positions = new float[nt * s];
    float[] mask = new float[rows * slots * slots];
    java.util.Arrays.fill(mask, TransformerGraph.MASKED);
    for (int q = 0; q < rows * slots; q++) {
      // A pad slot's query sees only itself: a fully masked row makes softmax's gradient NaN.
      mask[q * slots + q % slots] = 0f;
    }
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < length[i]; j++) {
        int slot = offset[i] + j;
        int id = seqs[i][j];
        if (id < 0 || id >= v) {
          throw new IllegalArgumentException(
              "token id " + id + " (row " + i + ") is outside the vocabulary [0, " + v + ")");
        }
        if (j >= s) {
          throw new IllegalArgumentException(
              "row "
                  + i
                  + " needs position "
                  + j
                  + " but model.maxSeqLen is "
                  + s
                  + ": shorten prompts/responses or build the model with a larger maxSeqLen");
        }
        tokens[flatRow(i, slot) * v + id] = 1f;
        positions[flatRow(i, slot) * s + j] = 1f;
        // query `slot` sees this row's tokens at slots offset..slot
        int base = (i * slots + slot) * slots;
        java.util.Arrays.fill(mask, base + offset[i], base + slot + 1, 0f);
      }
    }
    Map<String, INDArray> ph = new HashMap<>();
    ph.put("tokens", Tensors.array(tokens, dtype, nt, v));
    ph.put("positions", Tensors.array(positions, dtype, nt, s));
    ph.put("attnMask", Tensors.array(mask, dtype, rows, 1, slots, slots));
    ph.put("headShape", Nd4j.createFromArray((long) rows, slots, cfg.heads(), cfg.headDim()));
    ph.put("invTemp", Nd4j.scalar(dtype, 1.0 / temperature));
    return ph;
  }
}
