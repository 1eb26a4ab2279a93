package org.tokenrl.model.nn;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products handed straight to OpenBLAS's {@code cblas_?gemm} on the CPU backend, on the
 * arrays' own memory. {@link Nd4j#gemm} reaches the same library through libnd4j's matmul op, which
 * costs 20-35 µs a call and 15-25% of a decode step's large products (experiments/bench/README.md);
 * the engine makes thousands of small products a step. Other backends (CUDA) and layouts BLAS
 * cannot read in place keep going through ND4J ({@link Ops#gemm} asks {@link #gemm} first).
 *
 * <p>With few output rows (decoding: one row per sequence) OpenBLAS packs the whole weight into its
 * buffers on every call, which costs as much as the product; products small enough for its
 * small-matrix kernels skip the packing, so wide products with few rows are split into column
 * blocks of that size.
 */
final class CpuBlas {
  private CpuBlas() {}

  /** Whether this process runs ND4J's CPU backend (host memory, the preset's OpenBLAS). */
  static final boolean ENABLED =
      Nd4j.getBackend().getClass().getName().contains(".cpu.")
          && !"false".equals(System.getProperty("tokenrl.cpuBlas"));

  /** Output rows up to which wide products are split into column blocks (measured: 8 and 16). */
  private static final int FEW_ROWS = 16;

  /**
   * OpenBLAS 0.3.21's small-matrix kernels take products of up to 100³ multiply-adds whose output
   * has about a thousand elements; blocks of that size ran 10-60% faster (experiments/bench).
   */
  private static final long SMALL_PRODUCT = 1_000_000L;

  private static final int SMALL_OUTPUT = 1024;

  /**
   * {@code out = op(a) · op(b) + beta · out} when all three are rank-2 float or double arrays of
   * one type laid out as BLAS reads them (unit stride along rows or columns); returns false, having
   * done nothing, otherwise.
   */
  static boolean gemm(INDArray a, boolean ta, INDArray b, boolean tb, INDArray out, double beta) {
    if (!ENABLED) {
      return false;
    }
    DataType type = out.dataType();
    if ((type != DataType.FLOAT && type != DataType.DOUBLE)
        || a.dataType() != type
        || b.dataType() != type) {
      return false;
    }
    Layout la = Layout.of(a);
    Layout lb = Layout.of(b);
    Layout lo = Layout.of(out);
    if (la == null || lb == null || lo == null) {
      return false;
    }
    int m = (int) out.size(0);
    int n = (int) out.size(1);
    int k = (int) (ta ? a.size(0) : a.size(1));
    if (m == 0 || n == 0) {
      return true;
    }
    if (!lo.rowMajor) {
      // A column-major out is the row-major outᵀ = op(b)ᵀ · op(a)ᵀ.
      return product(type, n, m, k, b, lb, !tb, a, la, !ta, out, lo.ld, beta);
    }
    return product(type, m, n, k, a, la, ta, b, lb, tb, out, lo.ld, beta);
  }

  /** Row-major C [m, n] = op(A) [m, k] · op(B) [k, n] + beta C, column blocks when rows are few. */
  private static boolean product(
      DataType type,
      int m,
      int n,
      int k,
      INDArray a,
      Layout la,
      boolean ta,
      INDArray b,
      Layout lb,
      boolean tb,
      INDArray c,
      int ldc,
      double beta) {
    // A column-major operand is the transpose of a row-major one.
    boolean transA = ta == la.rowMajor;
    boolean transB = tb == lb.rowMajor;
    int block = n;
    if (m <= FEW_ROWS) {
      long fits = Math.min(SMALL_OUTPUT / m, SMALL_PRODUCT / ((long) m * k));
      block = (int) Math.max(16, Math.min(n, fits / 16 * 16));
    }
    Pointer ap = pointer(a);
    Pointer bp = pointer(b);
    Pointer cp = pointer(c);
    for (int from = 0; from < n; from += block) {
      int cols = Math.min(block, n - from);
      // Column block [from, from + cols) of op(B): rows of B when B is read transposed.
      long bOffset = (long) from * (transB ? lb.ld : 1);
      call(
          type,
          transA,
          transB,
          m,
          cols,
          k,
          1.0,
          ap.position(0),
          la.ld,
          bp.position(bOffset),
          lb.ld,
          beta,
          cp.position(from),
          ldc);
    }
    return true;
  }

  /**
   * Row-major {@code c = alpha · op(a) · op(b) + beta · c} on raw pointers (their positions are the
   * first elements): FloatPointers for FLOAT, DoublePointers for DOUBLE.
   */
  static void call(
      DataType type,
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      double alpha,
      Pointer a,
      int lda,
      Pointer b,
      int ldb,
      double beta,
      Pointer c,
      int ldc) {
    int opA = transA ? CblasTrans : CblasNoTrans;
    int opB = transB ? CblasTrans : CblasNoTrans;
    if (type == DataType.FLOAT) {
      openblas_nolapack.cblas_sgemm(
          CblasRowMajor,
          opA,
          opB,
          m,
          n,
          k,
          (float) alpha,
          (FloatPointer) a,
          lda,
          (FloatPointer) b,
          ldb,
          (float) beta,
          (FloatPointer) c,
          ldc);
    } else {
      openblas_nolapack.cblas_dgemm(
          CblasRowMajor,
          opA,
          opB,
          m,
          n,
          k,
          alpha,
          (DoublePointer) a,
          lda,
          (DoublePointer) b,
          ldb,
          beta,
          (DoublePointer) c,
          ldc);
    }
  }

  /** A typed pointer to an array's first element (data() starts there, views included). */
  static Pointer pointer(INDArray x) {
    Pointer p = x.data().addressPointer();
    return x.dataType() == DataType.FLOAT ? new FloatPointer(p) : new DoublePointer(p);
  }

  /** How BLAS reads a rank-2 array in place: row- or column-major with a leading dimension. */
  private record Layout(boolean rowMajor, int ld) {
    static Layout of(INDArray x) {
      if (x.rank() != 2 || x.isEmpty()) {
        return null;
      }
      long rows = x.size(0);
      long cols = x.size(1);
      long s0 = x.stride(0);
      long s1 = x.stride(1);
      if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= cols)) {
        return new Layout(true, (int) Math.max(1, rows == 1 ? cols : s0));
      }
      if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= rows)) {
        return new Layout(false, (int) Math.max(1, cols == 1 ? rows : s1));
      }
      return null;
    }
  }
}
