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
 *
 * <p>A {@link Packing} batch instead lays several segments one after another in a row, each with
 * its own positions, and a segment may also see one earlier segment of its row whole (its parent):
 * a shared prompt and the responses that continue it, or unrelated sequences side by side (no
 * parent: block-diagonal). Its mask is then the tree-causal one (docs/packed-update.md).
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

  /**
   * Packed batches only (null otherwise), per flat row: slot q of its row sees slots [seenFrom, q]
   * of the row and [parentFrom, parentTo) (empty when the segment has no parent).
   */
  private final int[] seenFrom;

  private final int[] parentFrom;
  private final int[] parentTo;

  private Batch(int[][] seqs, int slots, boolean leftPad, int maxPositions) {
    this.rows = seqs.length;
    this.slots = slots;
    this.offset = new int[rows];
    this.length = new int[rows];
    this.ids = new int[rows * slots];
    this.positions = new int[rows * slots];
    this.seenFrom = this.parentFrom = this.parentTo = null;
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
    if (seenFrom != null) {
      return treeMask(dtype);
    }
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

  private Batch(Packing p) {
    this.rows = p.rowSlots.size();
    int longest = 0;
    for (int used : p.rowSlots) {
      longest = Math.max(longest, used);
    }
    this.slots = longest;
    this.offset = new int[rows];
    this.length = new int[rows];
    int r = rows * slots;
    this.ids = new int[r];
    this.positions = new int[r];
    this.seenFrom = new int[r];
    this.parentFrom = new int[r];
    this.parentTo = new int[r];
    for (int i = 0; i < rows; i++) {
      length[i] = p.rowSlots.get(i);
      for (int q = 0; q < slots; q++) { // pad slots see only themselves
        seenFrom[i * slots + q] = q;
      }
    }
    for (Segment seg : p.segments) {
      int base = seg.row * slots;
      for (int j = 0; j < seg.length; j++) {
        int q = base + seg.at + j;
        ids[q] = p.ids.get(seg.idsAt + j);
        positions[q] = seg.firstPosition + j;
        seenFrom[q] = seg.at;
        parentFrom[q] = seg.parentAt;
        parentTo[q] = seg.parentAt + seg.parentLength;
      }
    }
  }

  /**
   * Builds a packed batch row by row: {@link #add} appends a segment to the current row, {@link
   * #newRow} starts the next. Rows are right-padded to the longest.
   */
  public static final class Packing {
    private final int maxPositions;
    private final java.util.List<Integer> rowSlots = new java.util.ArrayList<>();
    private final java.util.List<Segment> segments = new java.util.ArrayList<>();
    private final IntList ids = new IntList();

    public Packing(int maxPositions) {
      this.maxPositions = maxPositions;
      rowSlots.add(0);
    }

    /** Starts a new row unless the current one is still empty. */
    public void newRow() {
      if (rowSlots.get(rowSlots.size() - 1) > 0) {
        rowSlots.add(0);
      }
    }

    /** Slots used by the current row. */
    public int rowLength() {
      return rowSlots.get(rowSlots.size() - 1);
    }

    /** Index of the row {@link #add} appends to. */
    public int currentRow() {
      return rowSlots.size() - 1;
    }

    /**
     * Appends tokens[from, to) at positions firstPosition, firstPosition + 1, ... to the current
     * row; they see each other causally and, when {@code parent} is a slot returned by an earlier
     * call for this row, that whole segment too. Returns the segment's first slot in the row (what
     * {@link Batch#flat} takes as j).
     */
    public int add(int[] tokens, int from, int to, int firstPosition, int parent) {
      int row = rowSlots.size() - 1;
      int at = rowSlots.get(row);
      int n = to - from;
      if (firstPosition + n > maxPositions) {
        throw new IllegalArgumentException(
            "a segment reaches position "
                + (firstPosition + n)
                + " but the model sees at most "
                + maxPositions
                + " positions: shorten prompts/responses or use a model with more positions");
      }
      int parentLength = 0;
      if (parent >= 0) {
        for (int s = segments.size() - 1; s >= 0 && segments.get(s).row == row; s--) {
          if (segments.get(s).at == parent) {
            parentLength = segments.get(s).length;
          }
        }
        if (parentLength == 0) {
          throw new IllegalArgumentException("parent slot " + parent + " starts no segment");
        }
      }
      segments.add(
          new Segment(row, at, n, Math.max(parent, 0), parentLength, ids.size(), firstPosition));
      for (int k = from; k < to; k++) {
        ids.add(tokens[k]);
      }
      rowSlots.set(row, at + n);
      return at;
    }

    public Batch build() {
      if (rowLength() == 0 && rowSlots.size() > 1) {
        rowSlots.remove(rowSlots.size() - 1);
      }
      return new Batch(this);
    }
  }

  /** Slots [at, at + length) of a row, seeing [parentAt, parentAt + parentLength) too. */
  private record Segment(
      int row, int at, int length, int parentAt, int parentLength, int idsAt, int firstPosition) {}

  /** A growable int array. */
  private static final class IntList {
    private int[] a = new int[64];
    private int n;

    void add(int x) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, 2 * n);
      }
      a[n++] = x;
    }

    int get(int i) {
      return a[i];
    }

    int size() {
      return n;
    }
  }

  /** The mask of a packed batch: own segment causally, the parent segment whole. */
  private INDArray treeMask(DataType dtype) {
    float[] m = new float[rows * slots * slots];
    java.util.Arrays.fill(m, MASKED);
    for (int i = 0; i < rows; i++) {
      for (int q = 0; q < slots; q++) {
        int f = i * slots + q;
        int base = f * slots;
        java.util.Arrays.fill(m, base + seenFrom[f], base + q + 1, 0f);
        java.util.Arrays.fill(m, base + parentFrom[f], base + parentTo[f], 0f);
      }
    }
    INDArray a = Nd4j.create(m, new long[] {rows, 1, slots, slots}, 'c');
    return dtype == DataType.FLOAT ? a : a.castTo(dtype);
  }
}
