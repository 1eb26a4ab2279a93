package org.tokenrl.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The direct OpenBLAS path against a plain triple loop in double, over the layouts the engine hands
 * it: row- and column-major operands, transposed reads, views with offsets into a larger array, a
 * column-major output, beta accumulation, the column blocks of few-row products, and arrays in a
 * workspace.
 */
class CpuBlasTest {
  private final Random rng = new Random(7);

  @Test
  void everyLayoutAndTransposeMatchesTheLoop() {
    assertTrue(CpuBlas.ENABLED, "the tests run the CPU backend");
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      int[][] shapes = {{5, 7, 3}, {1, 9, 4}, {6, 1, 8}, {16, 300, 40}, {3, 1100, 300}};
      for (int[] mnk : shapes) {
        for (boolean ta : new boolean[] {false, true}) {
          for (boolean tb : new boolean[] {false, true}) {
            for (char oa : new char[] {'c', 'f'}) {
              for (char ob : new char[] {'c', 'f'}) {
                for (char oc : new char[] {'c', 'f'}) {
                  check(type, mnk[0], mnk[1], mnk[2], ta, tb, oa, ob, oc, false);
                }
              }
            }
          }
        }
      }
    }
  }

  @Test
  void viewsWithOffsetsAndBetaMatchTheLoop() {
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          check(type, 16, 700, 50, ta, tb, 'c', 'c', 'c', true);
          check(type, 4, 33, 9, ta, tb, 'f', 'c', 'f', true);
        }
      }
    }
  }

  @Test
  void worksOnWorkspaceArrays() {
    Scratch scratch = new Scratch("cpublas-test");
    try (MemoryWorkspace ws = scratch.open()) {
      check(DataType.FLOAT, 16, 1536, 576, false, true, 'c', 'c', 'c', false);
      check(DataType.DOUBLE, 7, 20, 11, true, false, 'c', 'c', 'c', true);
    } finally {
      scratch.release();
    }
  }

  @Test
  void declinesWhatBlasCannotReadInPlace() {
    INDArray a = Nd4j.rand(DataType.FLOAT, 4, 6);
    INDArray b = Nd4j.rand(DataType.FLOAT, 6, 3);
    INDArray out = Nd4j.create(DataType.FLOAT, 4, 3);
    INDArray everyOther =
        Nd4j.rand(DataType.FLOAT, 4, 12).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 12));
    assertFalse(CpuBlas.gemm(everyOther, false, b, false, out, 0.0), "stride 2 along rows");
    assertFalse(CpuBlas.gemm(a, false, b.castTo(DataType.DOUBLE), false, out, 0.0), "mixed types");
    assertFalse(
        CpuBlas.gemm(
            a.castTo(DataType.HALF),
            false,
            b.castTo(DataType.HALF),
            false,
            out.castTo(DataType.HALF),
            0.0),
        "half precision");
    // Ops.gemm still computes such products, through ND4J.
    INDArray viaNd4j = Ops.gemm(everyOther, false, b, false, out, 0.0);
    double[][] expected = loop(toDoubles(everyOther), false, toDoubles(b), false, 4, 3, 6, null, 0);
    assertClose(expected, viaNd4j, 1e-5);
  }

  private void check(
      DataType type,
      int m,
      int n,
      int k,
      boolean ta,
      boolean tb,
      char oa,
      char ob,
      char oc,
      boolean views) {
    INDArray a = operand(type, ta ? k : m, ta ? m : k, oa, views);
    INDArray b = operand(type, tb ? n : k, tb ? k : n, ob, views);
    INDArray out = operand(type, m, n, oc, views);
    double beta = views ? 0.5 : 0.0;
    double[][] expected = loop(toDoubles(a), ta, toDoubles(b), tb, m, n, k, toDoubles(out), beta);
    assertTrue(CpuBlas.gemm(a, ta, b, tb, out, beta), "handled");
    String what =
        type + " m" + m + " n" + n + " k" + k + " ta" + ta + " tb" + tb + " " + oa + ob + oc;
    assertClose(expected, out, type == DataType.FLOAT ? 1e-4 : 1e-12, what);
  }

  /** A [rows, cols] array of the given order; with views, a window inside a larger array. */
  private INDArray operand(DataType type, int rows, int cols, char order, boolean views) {
    if (!views) {
      return fill(Nd4j.create(type, new long[] {rows, cols}, order));
    }
    INDArray big = fill(Nd4j.create(type, new long[] {rows + 3, cols + 5}, order));
    return big.get(NDArrayIndex.interval(2, 2 + rows), NDArrayIndex.interval(3, 3 + cols));
  }

  private INDArray fill(INDArray x) {
    for (long i = 0; i < x.size(0); i++) {
      for (long j = 0; j < x.size(1); j++) {
        x.putScalar(new long[] {i, j}, rng.nextGaussian());
      }
    }
    return x;
  }

  private static double[][] toDoubles(INDArray x) {
    double[][] out = new double[(int) x.size(0)][(int) x.size(1)];
    for (int i = 0; i < out.length; i++) {
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = x.getDouble(i, j);
      }
    }
    return out;
  }

  private static double[][] loop(
      double[][] a,
      boolean ta,
      double[][] b,
      boolean tb,
      int m,
      int n,
      int k,
      double[][] c,
      double beta) {
    double[][] out = new double[m][n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = c == null ? 0 : beta * c[i][j];
        for (int p = 0; p < k; p++) {
          sum += (ta ? a[p][i] : a[i][p]) * (tb ? b[j][p] : b[p][j]);
        }
        out[i][j] = sum;
      }
    }
    return out;
  }

  private static void assertClose(double[][] expected, INDArray actual, double tol) {
    assertClose(expected, actual, tol, "");
  }

  private static void assertClose(double[][] expected, INDArray actual, double tol, String what) {
    double worst = 0;
    double scale = 1e-30;
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[i].length; j++) {
        worst = Math.max(worst, Math.abs(expected[i][j] - actual.getDouble(i, j)));
        scale = Math.max(scale, Math.abs(expected[i][j]));
      }
    }
    assertEquals(0, worst / scale, tol, what);
  }
}
