package org.tokenrl.model.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Copies between ND4J arrays and Java arrays. */
public final class Tensors {
  private Tensors() {}

  /** A c-ordered array of {@code dtype} built from float data. */
  public static INDArray array(float[] data, DataType dtype, long... shape) {
    INDArray a = Nd4j.create(data, shape, 'c');
    return dtype == DataType.FLOAT ? a : a.castTo(dtype);
  }

  static double[] toDoubles(INDArray a) {
    return contiguous(a).data().asDouble();
  }

  /** A c-ordered array of {@code dtype} and {@code shape} holding {@code data} (rounded to it). */
  static INDArray fromDoubles(double[] data, DataType dtype, long... shape) {
    INDArray a = Ops.empty(dtype, shape);
    ByteBuffer bytes = a.data().asNio().order(ByteOrder.nativeOrder());
    if (dtype == DataType.DOUBLE) {
      bytes.asDoubleBuffer().put(data);
    } else if (dtype == DataType.FLOAT) {
      FloatBuffer f = bytes.asFloatBuffer();
      for (int i = 0; i < data.length; i++) {
        f.put(i, (float) data[i]);
      }
    } else {
      a.assign(Nd4j.create(data, shape, 'c'));
    }
    return a;
  }

  public static float[] toFloats(INDArray a) {
    return contiguous(a).data().asFloat();
  }

  /**
   * Copies the rows of a matrix [c, V] into {@code rows[first .. first + c)}, widening to double
   * straight from the native buffer (no intermediate Java array of the whole matrix).
   */
  public static void copyRows(INDArray m, double[][] rows, int first) {
    INDArray a = contiguous(m);
    int c = (int) a.size(0);
    int v = (int) a.size(1);
    ByteBuffer bytes = a.data().asNio().order(ByteOrder.nativeOrder());
    if (a.dataType() == DataType.DOUBLE) {
      DoubleBuffer d = bytes.asDoubleBuffer();
      for (int r = 0; r < c; r++) {
        d.get(r * v, rows[first + r], 0, v);
      }
    } else if (a.dataType() == DataType.FLOAT) {
      FloatBuffer f = bytes.asFloatBuffer();
      for (int r = 0; r < c; r++) {
        double[] row = rows[first + r];
        int base = r * v;
        for (int j = 0; j < v; j++) {
          row[j] = f.get(base + j);
        }
      }
    } else {
      double[] flat = a.data().asDouble();
      for (int r = 0; r < c; r++) {
        System.arraycopy(flat, r * v, rows[first + r], 0, v);
      }
    }
  }

  /** The array itself when its buffer is exactly its c-ordered elements, else a c-ordered copy. */
  private static INDArray contiguous(INDArray a) {
    boolean plain =
        !a.isView() && a.ordering() == 'c' && a.data().length() == a.length() && a.offset() == 0;
    return plain ? a : a.dup('c');
  }
}
