package org.tokenrl.model.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The few ND4J calls the engine is built from. Matrix products go into arrays we allocate: on the
 * CPU backend straight to OpenBLAS ({@link CpuBlas}), elsewhere through {@link Nd4j#gemm} (the
 * libnd4j matmul op); either way row- or column-major operands only flip BLAS's transpose flags, so
 * a transposed view costs no copy. Everything else is ND4J's own elementwise, broadcast and
 * reduction ops, so another backend runs the same code.
 */
public final class Ops {
  private Ops() {}

  /** Uninitialised row-major array (every element is written before it is read). */
  static INDArray empty(DataType dtype, long... shape) {
    return Nd4j.createUninitialized(dtype, shape, 'c');
  }

  static INDArray zeros(DataType dtype, long... shape) {
    return Nd4j.zeros(dtype, shape);
  }

  /** {@code out = op(a) · op(b) + beta · out}; op transposes when the flag is set. */
  static INDArray gemm(INDArray a, boolean ta, INDArray b, boolean tb, INDArray out, double beta) {
    if (CpuBlas.gemm(a, ta, b, tb, out, beta)) {
      return out;
    }
    return Nd4j.gemm(a, b, out, ta, tb, 1.0, beta);
  }

  /** {@code op(a) · op(b)} into a new array. */
  public static INDArray mm(INDArray a, boolean ta, INDArray b, boolean tb) {
    long rows = ta ? a.size(1) : a.size(0);
    long cols = tb ? b.size(0) : b.size(1);
    return gemm(a, ta, b, tb, empty(a.dataType(), rows, cols), 0.0);
  }

  /** Batched product over the leading dimensions: [..., m, k] · [..., k, n]. */
  static INDArray bmm(INDArray a, boolean ta, INDArray b, boolean tb) {
    return Nd4j.matmul(a, b, null, ta, tb, false);
  }

  /** Softmax over the last dimension, into a new array. */
  static INDArray softmaxLast(INDArray x) {
    INDArray out = x.ulike();
    Nd4j.exec(new SoftMax(x, out, x.rank() - 1));
    return out;
  }

  /** Releases the native memory of arrays that own their buffer (views are left alone). */
  public static void free(INDArray... arrays) {
    for (INDArray a : arrays) {
      if (a != null && !a.wasClosed() && a.closeable()) {
        a.close();
      }
    }
  }
}
