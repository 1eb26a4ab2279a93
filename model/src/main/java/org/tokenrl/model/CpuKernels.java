package org.tokenrl.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Inference kernels for the CPU backend: the normalisations, rotary embedding, SwiGLU and the
 * one-query attention of a decode step, as plain loops over the arrays' own memory.
 *
 * <p>Why: at decode shapes (one row per sequence) an ND4J op costs 10-40 µs of dispatch and
 * allocation whatever its size (measured: a workspace allocation alone 11 µs), so a 9-op LayerNorm
 * of a [64, 128] activation took 0.37 ms where the arithmetic takes microseconds, and attention
 * over the cache (strided views, a batched matmul of tiny products) took 45% of a decode step
 * (experiments/bench/README.md). Each kernel returns false, having done nothing, when the arrays
 * are not row-major contiguous float or double on the CPU backend; the callers then run their
 * ND4J ops, which is also the path on other backends (CUDA). Statistics accumulate in double.
 */
final class CpuKernels {
  private CpuKernels() {}

  /** On with the CPU backend; {@code -Dtokenrl.cpuKernels=false} (or a test) forces ND4J ops. */
  static volatile boolean enabled =
      CpuBlas.ENABLED && !"false".equals(System.getProperty("tokenrl.cpuKernels"));

  /** y [R, d] = (x − mean) / sqrt(var + eps) · gain + bias, row by row. */
  static boolean layerNorm(INDArray x, INDArray gain, INDArray bias, double eps, INDArray y) {
    Buf in = Buf.of(x);
    Buf g = Buf.of(gain);
    Buf b = Buf.of(bias);
    Buf out = Buf.of(y);
    if (in == null || g == null || b == null || out == null) {
      return false;
    }
    int rows = (int) x.size(0);
    int d = (int) x.size(1);
    for (int r = 0; r < rows; r++) {
      int base = r * d;
      double sum = 0;
      for (int j = 0; j < d; j++) {
        sum += in.get(base + j);
      }
      double mean = sum / d;
      double sq = 0;
      for (int j = 0; j < d; j++) {
        double c = in.get(base + j) - mean;
        sq += c * c;
      }
      double rstd = 1.0 / Math.sqrt(sq / d + eps);
      for (int j = 0; j < d; j++) {
        out.set(base + j, (in.get(base + j) - mean) * rstd * g.get(j) + b.get(j));
      }
    }
    return true;
  }

  /** y [R, d] = x / sqrt(mean(x²) + eps) · weight, row by row. */
  static boolean rmsNorm(INDArray x, INDArray weight, double eps, INDArray y) {
    Buf in = Buf.of(x);
    Buf w = Buf.of(weight);
    Buf out = Buf.of(y);
    if (in == null || w == null || out == null) {
      return false;
    }
    int rows = (int) x.size(0);
    int d = (int) x.size(1);
    for (int r = 0; r < rows; r++) {
      int base = r * d;
      double sq = 0;
      for (int j = 0; j < d; j++) {
        double v = in.get(base + j);
        sq += v * v;
      }
      double rms = 1.0 / Math.sqrt(sq / d + eps);
      for (int j = 0; j < d; j++) {
        out.set(base + j, in.get(base + j) * rms * w.get(j));
      }
    }
    return true;
  }

  /**
   * Rotary embedding of x [R, nh·hd] with per-row angles cos, sin± [R, 1, hd] (see {@link Rope}):
   * y = x · cos + swap(x) · sin±, swap exchanging the two halves of each head.
   */
  static boolean rope(INDArray x, INDArray cos, INDArray sin, int headDim, INDArray y) {
    Buf in = Buf.of(x);
    Buf c = Buf.of(cos);
    Buf s = Buf.of(sin);
    Buf out = Buf.of(y);
    if (in == null || c == null || s == null || out == null) {
      return false;
    }
    int rows = (int) x.size(0);
    int width = (int) x.size(1);
    int half = headDim / 2;
    for (int r = 0; r < rows; r++) {
      for (int head = 0; head < width; head += headDim) {
        int base = r * width + head;
        for (int j = 0; j < headDim; j++) {
          int partner = j < half ? j + half : j - half;
          double v = in.get(base + j) * c.get(r * headDim + j)
              + in.get(base + partner) * s.get(r * headDim + j);
          out.set(base + j, v);
        }
      }
    }
    return true;
  }

  /** out = silu(gate) · up, elementwise. */
  static boolean swiglu(INDArray gate, INDArray up, INDArray out) {
    Buf g = Buf.of(gate);
    Buf u = Buf.of(up);
    Buf o = Buf.of(out);
    if (g == null || u == null || o == null) {
      return false;
    }
    long n = gate.length();
    for (int i = 0; i < n; i++) {
      double v = g.get(i);
      o.set(i, v / (1.0 + Math.exp(-v)) * u.get(i));
    }
    return true;
  }

  /**
   * One query per row against a KV cache: q [B, H·hd]; caches [B, G, C, hd] of which the first
   * {@code len} slots are used; mask [B, 1, 1, L ≥ len] additive (0 or {@link Batch#MASKED}); out [B,
   * H·hd]. Query head h reads key/value head h / rep. The two products per (row, group) are BLAS
   * calls on the cache's own memory (no strided views, no copies); the masked softmax runs here,
   * in double.
   */
  static boolean attendOneQuery(
      INDArray q, INDArray kCache, INDArray vCache, int len, INDArray mask, int heads,
      double scale, INDArray out) {
    DataType type = q.dataType();
    Buf m = Buf.of(mask);
    if (!enabled
        || Buf.of(q) == null
        || Buf.of(kCache) == null
        || Buf.of(vCache) == null
        || Buf.of(out) == null
        || m == null
        || kCache.dataType() != type
        || vCache.dataType() != type
        || out.dataType() != type) {
      return false;
    }
    int b = (int) kCache.size(0);
    int groups = (int) kCache.size(1);
    int capacity = (int) kCache.size(2);
    int hd = (int) kCache.size(3);
    int rep = heads / groups;
    int maskRow = (int) mask.size(mask.rank() - 1); // slots a mask row spans (>= len)
    INDArray scores = Ops.empty(type, (long) b * groups * rep, len);
    Buf s = Buf.of(scores);
    Pointer qp = CpuBlas.pointer(q);
    Pointer kp = CpuBlas.pointer(kCache);
    Pointer vp = CpuBlas.pointer(vCache);
    Pointer sp = CpuBlas.pointer(scores);
    Pointer op = CpuBlas.pointer(out);
    for (int row = 0; row < b; row++) {
      for (int g = 0; g < groups; g++) {
        long cacheAt = ((long) row * groups + g) * capacity * hd;
        long queryAt = ((long) row * heads + (long) g * rep) * hd;
        long scoreAt = ((long) row * groups + g) * rep * len;
        CpuBlas.call(type, false, true, rep, len, hd, scale,
            qp.position(queryAt), hd, kp.position(cacheAt), hd, 0.0, sp.position(scoreAt), len);
        for (int r = 0; r < rep; r++) {
          softmaxRow(s, (int) scoreAt + r * len, len, m, row * maskRow);
        }
        CpuBlas.call(type, false, false, rep, hd, len, 1.0,
            sp.position(scoreAt), len, vp.position(cacheAt), hd, 0.0, op.position(queryAt), hd);
      }
    }
    Ops.free(scores);
    return true;
  }

  /** cache [B, G, C, hd] at {@code slot} = kv [B, G·hd]: one decode step's keys or values. */
  static boolean writeSlot(INDArray cache, int slot, INDArray kv) {
    Buf to = Buf.of(cache);
    Buf from = Buf.of(kv);
    if (to == null || from == null || cache.dataType() != kv.dataType()) {
      return false;
    }
    int rows = (int) cache.size(0);
    int groups = (int) cache.size(1);
    int capacity = (int) cache.size(2);
    int hd = (int) cache.size(3);
    for (int r = 0; r < rows; r++) {
      for (int g = 0; g < groups; g++) {
        int src = (r * groups + g) * hd;
        int dst = ((r * groups + g) * capacity + slot) * hd;
        for (int j = 0; j < hd; j++) {
          to.set(dst + j, from.get(src + j));
        }
      }
    }
    return true;
  }

  /** In place: s[at, at + n) += mask[maskAt, maskAt + n), then softmax. */
  private static void softmaxRow(Buf s, int at, int n, Buf mask, int maskAt) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < n; j++) {
      double v = s.get(at + j) + mask.get(maskAt + j);
      s.set(at + j, v);
      max = Math.max(max, v);
    }
    double total = 0;
    for (int j = 0; j < n; j++) {
      double e = Math.exp(s.get(at + j) - max);
      s.set(at + j, e);
      total += e;
    }
    for (int j = 0; j < n; j++) {
      s.set(at + j, s.get(at + j) / total);
    }
  }

  /**
   * The elements of a row-major contiguous float or double array on the CPU backend, read and
   * written as doubles. An array's data() buffer starts at its first element, views included.
   */
  private abstract static class Buf {
    abstract double get(int i);

    abstract void set(int i, double v);

    static Buf of(INDArray x) {
      if (!enabled || x.isEmpty() || x.length() > Integer.MAX_VALUE) {
        return null;
      }
      DataType type = x.dataType();
      if ((type != DataType.FLOAT && type != DataType.DOUBLE) || !contiguous(x)) {
        return null;
      }
      ByteBuffer bytes = x.data().asNio().order(ByteOrder.nativeOrder());
      if (bytes.capacity() < x.length() * type.width()) {
        return null;
      }
      return type == DataType.FLOAT ? new Floats(bytes.asFloatBuffer()) : new Doubles(bytes.asDoubleBuffer());
    }

    /** Row-major with no gaps: strides are the suffix products of the shape. */
    private static boolean contiguous(INDArray x) {
      long expected = 1;
      for (int d = x.rank() - 1; d >= 0; d--) {
        if (x.size(d) != 1 && x.stride(d) != expected) {
          return false;
        }
        expected *= x.size(d);
      }
      return true;
    }
  }

  private static final class Floats extends Buf {
    private final FloatBuffer f;

    Floats(FloatBuffer f) {
      this.f = f;
    }

    @Override
    double get(int i) {
      return f.get(i);
    }

    @Override
    void set(int i, double v) {
      f.put(i, (float) v);
    }
  }

  private static final class Doubles extends Buf {
    private final DoubleBuffer d;

    Doubles(DoubleBuffer d) {
      this.d = d;
    }

    @Override
    double get(int i) {
      return d.get(i);
    }

    @Override
    void set(int i, double v) {
      d.put(i, v);
    }
  }
}
