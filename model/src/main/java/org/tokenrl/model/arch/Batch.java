package org.tokenrl.model.arch;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Token sequences of different lengths packed into N rows of T slots, flattened to R = N·T rows for
 * the layers. Row i's tokens occupy slots [offset[i], offset[i] + length[i]) and get positions 0,
 * 1, ... (a row's first real token is position 0 whichever side is padded). The additive mask lets
 * a slot see only earlier-or-equal slots of its own row's tokens; a pad slot sees only itself
 * (nothing reads its output, and no softmax row is empty). Right padding serves scoring; left
 * padding (every row ends at slot T−1) the KV-cache prefill, so all rows decode at one cache index.
 */
public final class Batch {
  /** Additive mask of a slot that must not be attended to (finite: no NaN rows). */
  public static final float MASKED = -1e9f;

  public final int rows;
  public final int slots;
  public final int[] offset;
  public final int[] length;

  /** Token id per flat row (0 on pad slots), [R]. */
  final int[] ids;

  /** Position per flat row (0 on pad slots), [R]. */
  final int[] positions;

  private Batch(int[][] seqs, int slots, boolean leftPad, int maxPositions) {
    this.rows = seqs.length;
    this.slots = slots;
    this.offset = new int[rows];
    this.length = new int[rows];
    this.ids = new int[rows * slots];
    this.positions = new int[rows * slots];
    for (int i = 0; i < rows; i++) {
      length[i] = seqs[i].length;
      offset[i] = leftPad ? slots - length[i] : 0;
      if (length[i] > maxPositions) {
        throw new IllegalArgumentException(
            "row "
                + i
                + " holds "
                + length[i]
                + " tokens but the model sees at most "
                + maxPositions
                + " positions: shorten prompts/responses or use a model with more positions");
      }
      for (int j = 0; j < length[i]; j++) {
        ids[flat(i, j)] = seqs[i][j];
        positions[flat(i, j)] = j;
      }
    }
  }

  public static Batch rightPadded(int[][] seqs, int maxPositions) {
    return new Batch(seqs, maxLength(seqs), false, maxPositions);
  }

  public static Batch leftPadded(int[][] seqs, int maxPositions) {
    return new Batch(seqs, maxLength(seqs), true, maxPositions);
  }

  private static int maxLength(int[][] seqs) {
    int t = 0;
    for (int[] s : seqs) {
      t = Math.max(t, s.length);
    }
    return t;
  }

  /** Flat row of token j of sequence i. */
  public int flat(int i, int j) {
    return i * slots + offset[i] + j;
  }

  /** Additive attention mask [N, 1, T, T]. */
  public INDArray mask(DataType dtype) {
    float[] m = new float[rows * slots * slots];
    java.util.Arrays.fill(m, MASKED);
    for (int i = 0; i < rows; i++) {
      for (int q = 0; q < slots; q++) {
        int base = (i * slots + q) * slots;
        boolean real = q >= offset[i] && q < offset[i] + length[i];
        if (real) {
          java.util.Arrays.fill(m, base + offset[i], base + q + 1, 0f);
        } else {
          m[base + q] = 0f;
        }
      }
    }
    INDArray a = Nd4j.create(m, new long[] {rows, 1, slots, slots}, 'c');
    return dtype == DataType.FLOAT ? a : a.castTo(dtype);
  }
}
