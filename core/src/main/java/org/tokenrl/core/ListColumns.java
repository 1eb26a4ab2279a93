package org.tokenrl.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.function.IntFunction;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * Reads and writes Arrow list columns ({@code list<int32>}, {@code list<float32>}) as Java arrays,
 * one row per array, for {@link RolloutBatch} and {@link PreferenceBatch}. Writes size the element
 * buffer once and copy each row in bulk through a little-endian view of the Arrow buffer.
 */
final class ListColumns {
  private ListColumns() {}

  /** Fills {@code list} with {@code n} rows, row i holding {@code rows.apply(i)}. */
  static void writeInts(ListVector list, int n, IntFunction<int[]> rows) {
    long total = 0;
    for (int i = 0; i < n; i++) {
      total += rows.apply(i).length;
    }
    IntBuffer data = allocate(list, n, total, Integer.BYTES).asIntBuffer();
    for (int i = 0; i < n; i++) {
      int[] values = rows.apply(i);
      data.put(list.startNewValue(i), values);
      list.endValue(i, values.length);
    }
  }

  /** Like {@link #writeInts}; a null row becomes a null list (the token-weight columns). */
  static void writeFloats(ListVector list, int n, IntFunction<float[]> rows) {
    long total = 0;
    for (int i = 0; i < n; i++) {
      float[] values = rows.apply(i);
      total += values == null ? 0 : values.length;
    }
    FloatBuffer data = allocate(list, n, total, Float.BYTES).asFloatBuffer();
    for (int i = 0; i < n; i++) {
      float[] values = rows.apply(i);
      if (values == null) {
        list.setNull(i);
        continue;
      }
      data.put(list.startNewValue(i), values);
      list.endValue(i, values.length);
    }
  }

  /** Fills a {@code list<bool>} column with {@code n} rows. */
  static void writeBools(ListVector list, int n, IntFunction<boolean[]> rows) {
    long total = 0;
    for (int i = 0; i < n; i++) {
      total += rows.apply(i).length;
    }
    list.setInitialTotalCapacity(Math.max(n, 1), (int) total);
    list.allocateNew();
    org.apache.arrow.vector.BitVector child =
        (org.apache.arrow.vector.BitVector) list.getDataVector();
    for (int i = 0; i < n; i++) {
      boolean[] values = rows.apply(i);
      int start = list.startNewValue(i);
      for (int t = 0; t < values.length; t++) {
        child.setSafe(start + t, values[t] ? 1 : 0);
      }
      list.endValue(i, values.length);
    }
    child.setValueCount((int) total);
  }

  static boolean[] bools(ListVector list, int row) {
    org.apache.arrow.vector.BitVector child =
        (org.apache.arrow.vector.BitVector) list.getDataVector();
    int start = list.getElementStartIndex(row);
    boolean[] out = new boolean[list.getElementEndIndex(row) - start];
    for (int t = 0; t < out.length; t++) {
      out[t] = child.get(start + t) != 0;
    }
    return out;
  }

  static int[] ints(ListVector list, int row) {
    int start = list.getElementStartIndex(row);
    int[] out = new int[list.getElementEndIndex(row) - start];
    view(
            list.getDataVector().getDataBuffer(),
            (long) start * Integer.BYTES,
            (long) out.length * Integer.BYTES)
        .asIntBuffer()
        .get(out);
    return out;
  }

  /** The row's floats, or null for a null row. */
  static float[] floats(ListVector list, int row) {
    if (list.isNull(row)) {
      return null;
    }
    int start = list.getElementStartIndex(row);
    float[] out = new float[list.getElementEndIndex(row) - start];
    view(
            list.getDataVector().getDataBuffer(),
            (long) start * Float.BYTES,
            (long) out.length * Float.BYTES)
        .asFloatBuffer()
        .get(out);
    return out;
  }

  /** A little-endian view of {@code bytes} bytes of {@code buf} from {@code offset}. */
  static ByteBuffer view(ArrowBuf buf, long offset, long bytes) {
    if (bytes == 0) {
      return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
    }
    return buf.nioBuffer(offset, Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Allocates a list column of {@code n} rows and {@code total} elements of {@code width} bytes,
   * marks all elements valid and returns a view of the element data.
   */
  private static ByteBuffer allocate(ListVector list, int n, long total, int width) {
    if (total * width > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "column '"
              + list.getName()
              + "' would hold "
              + total
              + " elements, over Arrow's 2 GiB per-buffer limit: split the batch");
    }
    list.setInitialTotalCapacity(Math.max(n, 1), (int) total);
    list.allocateNew();
    FieldVector child = list.getDataVector();
    setAllValid(child.getValidityBuffer(), (int) total);
    return view(child.getDataBuffer(), 0, total * width);
  }

  /** Marks the first {@code count} slots of a validity buffer as set. */
  private static void setAllValid(ArrowBuf validity, int count) {
    int fullBytes = count / 8;
    validity.setOne(0L, (long) fullBytes);
    for (int i = fullBytes * 8; i < count; i++) {
      BitVectorHelper.setBit(validity, i);
    }
  }
}
