package org.tokenrl.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Copies between ND4J arrays and Java arrays. */
final class Tensors {
  private Tensors() {}

  /** A c-ordered array of {@code dtype} built from float data. */
  static INDArray array(float[] data, DataType dtype, long... shape) {
    INDArray a = Nd4j.create(data, shape, 'c');
    return dtype == DataType.FLOAT ? a : a.castTo(dtype);
  }

  static double[] toDoubles(INDArray a) {
    return contiguous(a).data().asDouble();
  }

  static float[] toFloats(INDArray a) {
    return contiguous(a).data().asFloat();
  }

  /** The array itself when its buffer is exactly its c-ordered elements, else a c-ordered copy. */
  private static INDArray contiguous(INDArray a) {
    boolean plain =
        !a.isView() && a.ordering() == 'c' && a.data().length() == a.length() && a.offset() == 0;
    return plain ? a : a.dup('c');
  }
}
