package org.tokenrl.model.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.arch.Batch;

/**
 * Inference kernels for the CPU backend: the normalisations, rotary embedding, SwiGLU and the
 * attention of a pass, as plain loops over the arrays' own memory (a decode step's one-query
 * attention runs in {@link KvCache}).
 *
 * <p>Why: at decode shapes (one row per sequence) an ND4J op costs 10-40 µs of dispatch and
 * allocation whatever its size (measured: a workspace allocation alone 11 µs), so a 9-op LayerNorm
 * of a [64, 128] activation took 0.37 ms where the arithmetic takes microseconds, and attention
 * over the cache (strided views, a batched matmul of tiny products) took 45% of a decode step
 * (experiments/bench/README.md). Each kernel returns false, having done nothing, when the arrays
 * are not row-major contiguous float arrays on the CPU backend; the callers then run their ND4J
 * ops, which is also the path on other backends (CUDA). Statistics accumulate in double.
 *
 * <p>Length: every kernel shares the contiguity checks and memory mapping helpers below; each
 * kernel is a short method.
 */
public final class CpuKernels {
  private CpuKernels() {}

  /** On with the CPU backend; {@code -Dtokenrl.cpuKernels=false} (or a test) forces ND4J ops. */
  static volatile boolean enabled =
      CpuBlas.ENABLED && !"false".equals(System.getProperty("tokenrl.cpuKernels"));

  /**
   * LayerNorm ({@code centre}) or RMSNorm, row by row: y = x̂ · gain (+ bias) with x̂ = (x − c) ·
   * r, r = 1 / sqrt(mean((x − c)²) + eps), c = mean(x) or 0. For training, x̂ [R, d] and r [R, 1]
   * are written to {@code xhat} and {@code rstd} when given. {@code bias} may be null.
   */
  static boolean norm(
      INDArray x,
      boolean centre,
      INDArray gain,
      INDArray bias,
      double eps,
      INDArray y,
      INDArray xhat,
      INDArray rstd) {
    Buf in = Buf.of(x);
    Buf g = Buf.of(gain);
    Buf b = bias == null ? null : Buf.of(bias);
    Buf out = Buf.of(y);
    Buf xh = xhat == null ? null : Buf.of(xhat);
    Buf rs = rstd == null ? null : Buf.of(rstd);
    if (in == null
        || g == null
        || out == null
        || (bias != null && b == null)
        || (xhat != null && xh == null)
        || (rstd != null && rs == null)) {
      return false;
    }
    int rows = (int) x.size(0);
    int d = (int) x.size(1);
    float[] gv = g.read(0, new float[d], d);
    float[] bv = b == null ? null : b.read(0, new float[d], d);
    float[] scales = new float[rows];
    ParallelRows.run(
        rows,
        (long) rows * d,
        (from, to) -> {
          float[] row = new float[d];
          float[] yRow = new float[d];
          for (int r = from; r < to; r++) {
            int base = r * d;
            in.read(base, row, d);
            double mean = 0;
            if (centre) {
              for (int j = 0; j < d; j++) {
                mean += row[j];
              }
              mean /= d;
            }
            float c = (float) mean;
            double sq = 0;
            for (int j = 0; j < d; j++) {
              row[j] -= c;
              sq += row[j] * row[j];
            }
            float scale = (float) (1.0 / Math.sqrt(sq / d + eps));
            for (int j = 0; j < d; j++) {
              row[j] *= scale;
            }
            for (int j = 0; j < d; j++) {
              yRow[j] = row[j] * gv[j];
            }
            if (bv != null) {
              for (int j = 0; j < d; j++) {
                yRow[j] += bv[j];
              }
            }
            out.write(base, yRow, d);
            if (xh != null) {
              xh.write(base, row, d);
            }
            scales[r] = scale;
          }
        });
    if (rs != null) {
      rs.write(0, scales, rows);
    }
    return true;
  }

  /**
   * Backward of {@link #norm}: dx = r · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)) with dx̂ = dy ·
   * gain (the mean(dx̂) term only when centred); adds Σ_rows dy · x̂ to {@code dGain} and Σ_rows dy
   * to {@code dBias} when they are not null (null: frozen).
   */
  static boolean normBackward(
      INDArray dy,
      boolean centre,
      INDArray gain,
      INDArray xhat,
      INDArray rstd,
      INDArray dGain,
      INDArray dBias,
      INDArray dx) {
    Buf dout = Buf.of(dy);
    Buf g = Buf.of(gain);
    Buf xh = Buf.of(xhat);
    Buf rs = Buf.of(rstd);
    Buf din = Buf.of(dx);
    Buf dg = dGain == null ? null : Buf.of(dGain);
    Buf db = dBias == null ? null : Buf.of(dBias);
    if (dout == null
        || g == null
        || xh == null
        || rs == null
        || din == null
        || (dGain != null && dg == null)
        || (dBias != null && db == null)) {
      return false;
    }
    int rows = (int) dy.size(0);
    int d = (int) dy.size(1);
    float[] gv = g.read(0, new float[d], d);
    float[] scales = rs.read(0, new float[rows], rows);
    ParallelRows.run(
        rows,
        (long) rows * d,
        (from, to) -> {
          float[] dyRow = new float[d];
          float[] hRow = new float[d];
          float[] dxRow = new float[d];
          for (int r = from; r < to; r++) {
            int base = r * d;
            dout.read(base, dyRow, d);
            xh.read(base, hRow, d);
            double meanD = 0;
            double meanDx = 0;
            for (int j = 0; j < d; j++) {
              double dh = dyRow[j] * gv[j];
              meanD += dh;
              meanDx += dh * hRow[j];
            }
            meanD = centre ? meanD / d : 0;
            meanDx /= d;
            float sr = scales[r];
            float md = (float) meanD;
            float mdx = (float) meanDx;
            for (int j = 0; j < d; j++) {
              dxRow[j] = sr * (dyRow[j] * gv[j] - md - hRow[j] * mdx);
            }
            din.write(base, dxRow, d);
          }
        });
    if (dg != null || db != null) {
      // sums over rows: serial, in row order, so the slice count cannot change their bits
      float[] gainSum = new float[d];
      float[] biasSum = new float[d];
      float[] dyRow = new float[d];
      float[] hRow = new float[d];
      for (int r = 0; r < rows; r++) {
        dout.read(r * d, dyRow, d);
        xh.read(r * d, hRow, d);
        for (int j = 0; j < d; j++) {
          gainSum[j] += dyRow[j] * hRow[j];
          biasSum[j] += dyRow[j];
        }
      }
      addInto(dg, gainSum);
      addInto(db, biasSum);
    }
    return true;
  }

  /**
   * Rotary embedding of x [R, nh·hd] with per-row angles cos, sin± [R, 1, hd] (see {@link Rope}): y
   * = x · cos + swap(x) · sin±, swap exchanging the two halves of each head; or with {@code
   * backward} its transpose, y = x · cos + swap(x · sin±), the same products and sums as {@link
   * Rope#backward}'s ops.
   */
  static boolean rope(INDArray x, INDArray cos, INDArray sin, int headDim, INDArray y) {
    return rope(x, cos, sin, headDim, false, y);
  }

  static boolean rope(
      INDArray x, INDArray cos, INDArray sin, int headDim, boolean backward, INDArray y) {
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
    ParallelRows.run(
        rows,
        (long) rows * width,
        (from, to) -> {
          float[] row = new float[width];
          float[] rotated = new float[width];
          float[] cosRow = new float[headDim];
          float[] sinRow = new float[headDim];
          for (int r = from; r < to; r++) {
            in.read(r * width, row, width);
            c.read(r * headDim, cosRow, headDim);
            s.read(r * headDim, sinRow, headDim);
            for (int head = 0; head < width; head += headDim) {
              // dimension j pairs with p = j ± half: the halves as two loops the JIT vectorizes
              if (backward) {
                for (int j = 0; j < half; j++) {
                  int p = j + half;
                  rotated[head + j] = row[head + p] * sinRow[p] + row[head + j] * cosRow[j];
                  rotated[head + p] = row[head + j] * sinRow[j] + row[head + p] * cosRow[p];
                }
              } else {
                for (int j = 0; j < half; j++) {
                  int p = j + half;
                  rotated[head + j] = row[head + j] * cosRow[j] + row[head + p] * sinRow[j];
                  rotated[head + p] = row[head + p] * cosRow[p] + row[head + j] * sinRow[p];
                }
              }
            }
            out.write(r * width, rotated, width);
          }
        });
    return true;
  }

  /**
   * GELU's sigmoid form y = x·σ(1.702x) = ½x·(1 + tanh(0.851x)), elementwise. The tanh is a
   * rational function (odd degree-13 over even degree-6 polynomial, clamped at ±7.905; the
   * coefficients of Eigen's float tanh), within a few float ulps of it and free of calls, so the
   * JIT vectorizes the loop: 0.37 ms for [1024, 512] where ND4J's op, with a scalar exponential per
   * element, took 2.4 ms.
   */
  static boolean gelu(INDArray x, INDArray y) {
    Buf in = Buf.of(x);
    Buf out = Buf.of(y);
    if (in == null || out == null) {
      return false;
    }
    int n = (int) x.length();
    ParallelRows.run(
        n,
        n,
        (start, end) -> {
          int chunk = Math.max(1, Math.min(end - start, 8192));
          float[] xv = new float[chunk];
          float[] yv = new float[chunk];
          for (int from = start; from < end; from += chunk) {
            int len = Math.min(chunk, end - from);
            in.read(from, xv, len);
            for (int i = 0; i < len; i++) {
              yv[i] = 0.5f * xv[i] * (1f + tanh(0.851f * xv[i]));
            }
            out.write(from, yv, len);
          }
        });
    return true;
  }

  /** tanh(t) in float arithmetic only (see {@link #gelu}). */
  private static float tanh(float t) {
    float c = Math.max(-7.90531110763549805f, Math.min(7.90531110763549805f, t));
    float c2 = c * c;
    float p = -2.76076847742355e-16f;
    p = p * c2 + 2.00018790482477e-13f;
    p = p * c2 - 8.60467152213735e-11f;
    p = p * c2 + 5.12229709037114e-08f;
    p = p * c2 + 1.48572235717979e-05f;
    p = p * c2 + 6.37261928875436e-04f;
    p = p * c2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * c2 + 1.18534705686654e-04f;
    q = q * c2 + 2.26843463243900e-03f;
    q = q * c2 + 4.89352518554385e-03f;
    return c * p / q;
  }

  /**
   * Backward of {@link #gelu}: with σ = σ(1.702x) = ½(1 + tanh(0.851x)) from the same rational
   * tanh, dx = dy · (σ + 1.702·x·σ·(1 − σ)). ND4J's derivative op recomputes an exponential per
   * element, which made GELU's backward the gpt step's largest elementwise cost.
   */
  static boolean geluBackward(INDArray x, INDArray dy, INDArray dx) {
    Buf xs = Buf.of(x);
    Buf gs = Buf.of(dy);
    Buf out = Buf.of(dx);
    if (xs == null || gs == null || out == null) {
      return false;
    }
    int n = (int) x.length();
    ParallelRows.run(
        n,
        n,
        (start, end) -> {
          int chunk = Math.max(1, Math.min(end - start, 8192));
          float[] xv = new float[chunk];
          float[] gv = new float[chunk];
          for (int from = start; from < end; from += chunk) {
            int len = Math.min(chunk, end - from);
            xs.read(from, xv, len);
            gs.read(from, gv, len);
            for (int i = 0; i < len; i++) {
              float sig = 0.5f * (1f + tanh(0.851f * xv[i]));
              gv[i] *= sig + 1.702f * xv[i] * sig * (1 - sig);
            }
            out.write(from, gv, len);
          }
        });
    return true;
  }

  /**
   * One AdamW step of one float tensor in one pass over chunks of it, as {@link AdamW} states it: g
   * ← g·gradScale; m ← b1 m + (1 − b1) g; v ← b2 v + (1 − b2) g²; p ← p·(1 − lr·wd) − lr·(m /
   * bias1) / (sqrt(v / bias2) + eps). Like ND4J's fused op it leaves the step in g and moves no
   * weight when lr = 0. Three ND4J ops a tensor become one vectorized loop.
   */
  public static boolean adamW(
      INDArray p,
      INDArray g,
      INDArray m,
      INDArray v,
      double gradScale,
      double lr,
      double b1,
      double b2,
      double eps,
      double bias1,
      double bias2,
      double weightDecay) {
    Buf ps = Buf.of(p);
    Buf gs = Buf.of(g);
    Buf ms = Buf.of(m);
    Buf vs = Buf.of(v);
    if (ps == null || gs == null || ms == null || vs == null) {
      return false;
    }
    int n = (int) p.length();
    int chunk = Math.min(n, 8192);
    float[] pv = new float[chunk];
    float[] gv = new float[chunk];
    float[] mv = new float[chunk];
    float[] vv = new float[chunk];
    float scale = (float) gradScale;
    float beta1 = (float) b1;
    float beta2 = (float) b2;
    float stepSize = (float) (lr / bias1);
    float root = (float) (1 / Math.sqrt(bias2));
    float epsilon = (float) eps;
    float keep = (float) (1 - lr * weightDecay);
    for (int from = 0; from < n; from += chunk) {
      int len = Math.min(chunk, n - from);
      gs.read(from, gv, len);
      ms.read(from, mv, len);
      vs.read(from, vv, len);
      for (int i = 0; i < len; i++) {
        float grad = gv[i] * scale;
        mv[i] = beta1 * mv[i] + (1 - beta1) * grad;
        vv[i] = beta2 * vv[i] + (1 - beta2) * grad * grad;
        gv[i] = stepSize * mv[i] / ((float) Math.sqrt(vv[i]) * root + epsilon);
      }
      ms.write(from, mv, len);
      vs.write(from, vv, len);
      gs.write(from, gv, len);
      if (lr != 0) {
        ps.read(from, pv, len);
        for (int i = 0; i < len; i++) {
          pv[i] = pv[i] * keep - gv[i];
        }
        ps.write(from, pv, len);
      }
    }
    return true;
  }

  /**
   * out = silu(gate) · up, elementwise (see {@link #swiglu(INDArray, INDArray, INDArray,
   * INDArray)}).
   */
  static boolean swiglu(INDArray gate, INDArray up, INDArray out) {
    return swiglu(gate, up, out, null);
  }

  /**
   * out = silu(gate) · up = (gate · σ) · up elementwise with σ = 1 / (1 + exp(−gate)) from {@link
   * #expInto}, written to {@code sig} when given (training keeps it for {@link #swigluBackward}).
   * Scoring and training passes compute the same values. The exponential was a scalar {@code
   * Math.exp} per element, 12% of an update's Java time.
   */
  static boolean swiglu(INDArray gate, INDArray up, INDArray out, INDArray sig) {
    Buf g = Buf.of(gate);
    Buf u = Buf.of(up);
    Buf o = Buf.of(out);
    Buf sg = sig == null ? null : Buf.of(sig);
    if (g == null || u == null || o == null || (sig != null && sg == null)) {
      return false;
    }
    int n = (int) gate.length();
    ParallelRows.run(
        n,
        n,
        (start, end) -> {
          int chunk = Math.max(1, Math.min(end - start, 4096));
          float[] gv = new float[chunk];
          float[] uv = new float[chunk];
          float[] sv = new float[chunk];
          float[] scratch = new float[chunk];
          for (int from = start; from < end; from += chunk) {
            int len = Math.min(chunk, end - from);
            g.read(from, gv, len);
            u.read(from, uv, len);
            expInto(gv, -1f, sv, scratch, len);
            for (int i = 0; i < len; i++) {
              sv[i] = 1f / (1f + sv[i]);
              uv[i] = gv[i] * sv[i] * uv[i];
            }
            o.write(from, uv, len);
            if (sg != null) {
              sg.write(from, sv, len);
            }
          }
        });
    return true;
  }

  /**
   * Backward of {@link #swiglu} from σ(gate): with silu = gate · σ, dUp = dh · silu and dGate =
   * (silu · (1 − σ) + σ) · up · dh, the products of {@link SwiGlu#backward}'s ops in their order.
   */
  static boolean swigluBackward(
      INDArray gate, INDArray up, INDArray sig, INDArray dh, INDArray dGate, INDArray dUp) {
    Buf g = Buf.of(gate);
    Buf u = Buf.of(up);
    Buf sg = Buf.of(sig);
    Buf d = Buf.of(dh);
    Buf dg = Buf.of(dGate);
    Buf du = Buf.of(dUp);
    if (g == null || u == null || sg == null || d == null || dg == null || du == null) {
      return false;
    }
    int n = (int) gate.length();
    ParallelRows.run(
        n,
        n,
        (start, end) -> {
          int chunk = Math.max(1, Math.min(end - start, 4096));
          float[] gv = new float[chunk];
          float[] uv = new float[chunk];
          float[] sv = new float[chunk];
          float[] dv = new float[chunk];
          for (int from = start; from < end; from += chunk) {
            int len = Math.min(chunk, end - from);
            g.read(from, gv, len);
            u.read(from, uv, len);
            sg.read(from, sv, len);
            d.read(from, dv, len);
            for (int i = 0; i < len; i++) {
              float silu = gv[i] * sv[i];
              gv[i] = (silu * (1f - sv[i]) + sv[i]) * uv[i] * dv[i];
              uv[i] = dv[i] * silu;
            }
            dg.write(from, gv, len);
            du.write(from, uv, len);
          }
        });
    return true;
  }

  /**
   * out[i] = exp(sign · x[i]) for i &lt; len in float arithmetic the JIT vectorizes (Math.exp is a
   * scalar call): exp(y) = 2ⁿ · exp(r) with n = round(y / ln 2), r = y − n·ln 2 in two parts
   * (Cody-Waite), exp(r) by Cephes' degree-7 polynomial for expf (about 1 ulp on |r| ≤ ln 2 / 2).
   * The input is clamped to ±87, where float's exp neither overflows nor goes subnormal: exp(−87)
   * is 1.6e-38, so σ and silu of gates below −87 come out ~1e-36 instead of smaller. The polynomial
   * loop stores 2ⁿ's exponent n as a float in {@code scratch}; the loop that builds 2ⁿ from its
   * bits is the one the JIT does not vectorize, and it is a shift and an add.
   */
  static void expInto(float[] x, float sign, float[] out, float[] scratch, int len) {
    for (int i = 0; i < len; i++) {
      float y = Math.max(-87f, Math.min(87f, sign * x[i]));
      float k = (y * 1.44269504088896341f + 12582912f) - 12582912f; // round(y / ln 2)
      float r = y - k * 0.693359375f;
      r = r - k * -2.12194440e-4f;
      float p = 1.9875691500e-4f;
      p = p * r + 1.3981999507e-3f;
      p = p * r + 8.3334519073e-3f;
      p = p * r + 4.1665795894e-2f;
      p = p * r + 1.6666665459e-1f;
      p = p * r + 5.0000001201e-1f;
      out[i] = p * r * r + r + 1f;
      scratch[i] = k;
    }
    for (int i = 0; i < len; i++) {
      out[i] *= Float.intBitsToFloat(((int) scratch[i] + 127) << 23);
    }
  }

  /**
   * Attention of one pass: q [R, H·hd], k and v [R, G·hd] with R = N·T rows, mask [N, 1, T, T]
   * additive (causal plus padding). Writes out [R, H·hd] and the probabilities p [N, H, T, T] the
   * backward pass needs. Heads are read in place with the rows' stride (no [N, H, T, hd] copies);
   * query head h reads key/value head h / rep.
   */
  static boolean attend(
      INDArray q,
      INDArray k,
      INDArray v,
      INDArray mask,
      int n,
      int t,
      int heads,
      double scale,
      INDArray out,
      INDArray p) {
    DataType type = q.dataType();
    Buf m = Buf.of(mask);
    Buf probs = Buf.of(p);
    if (m == null
        || probs == null
        || !sameType(type, q, k, v, out, p)
        || !Buf.usable(q)
        || !Buf.usable(k)
        || !Buf.usable(v)
        || !Buf.usable(out)) {
      return false;
    }
    Heads at = new Heads(q, k, heads, t);
    Pointer qp = CpuBlas.pointer(q);
    Pointer kp = CpuBlas.pointer(k);
    Pointer vp = CpuBlas.pointer(v);
    Pointer op = CpuBlas.pointer(out);
    Pointer pp = CpuBlas.pointer(p);
    float[] maskBlock = new float[t * t];
    for (int row = 0; row < n; row++) {
      m.read(row * t * t, maskBlock, t * t);
      long pRow = (long) row * heads * t * t; // this sequence's probabilities, [H, T, T]
      for (int h = 0; h < heads; h++) {
        CpuBlas.call(
            type,
            false,
            true,
            t,
            t,
            at.hd(),
            scale,
            qp.position(at.query(row, h)),
            at.ldq(),
            kp.position(at.keyValue(row, h)),
            at.ldk(),
            0.0,
            pp.position(pRow + (long) h * t * t),
            t);
      }
      // the softmax of every head's score rows: independent rows, sliced over the cores
      ParallelRows.run(
          heads * t,
          (long) heads * t * t,
          (from, to) -> {
            float[] scores = new float[t];
            for (int i = from; i < to; i++) {
              int at0 = (int) (pRow + (long) i * t);
              probs.read(at0, scores, t);
              softmaxRow(scores, 0, t, maskBlock, (i % t) * t);
              probs.write(at0, scores, t);
            }
          });
      for (int h = 0; h < heads; h++) {
        CpuBlas.call(
            type,
            false,
            false,
            t,
            at.hd(),
            t,
            1.0,
            pp.position(pRow + (long) h * t * t),
            t,
            vp.position(at.keyValue(row, h)),
            at.ldk(),
            0.0,
            op.position(at.query(row, h)),
            at.ldq());
      }
    }
    return true;
  }

  /**
   * Backward of {@link #attend} from dOut [R, H·hd]: writes dq [R, H·hd], dk and dv [R, G·hd]. Per
   * head, with P its probabilities: dV += Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)) ·
   * scale, dQ = dS K, dK += dSᵀ Q (the rep query heads of a group add into its dK and dV).
   */
  static boolean attendBackward(
      INDArray dOut,
      INDArray q,
      INDArray k,
      INDArray v,
      INDArray p,
      int n,
      int t,
      int heads,
      double scale,
      INDArray dq,
      INDArray dk,
      INDArray dv) {
    DataType type = q.dataType();
    Buf probs = Buf.of(p);
    if (probs == null
        || !sameType(type, dOut, k, v, p, dq, dk, dv)
        || !Buf.usable(dOut)
        || !Buf.usable(q)
        || !Buf.usable(k)
        || !Buf.usable(v)
        || !Buf.usable(dq)
        || !Buf.usable(dk)
        || !Buf.usable(dv)) {
      return false;
    }
    Heads at = new Heads(q, k, heads, t);
    INDArray dScores = Ops.empty(type, heads, t, t); // one sequence's dP, then dS
    Buf ds = Buf.of(dScores);
    Pointer dop = CpuBlas.pointer(dOut);
    Pointer qp = CpuBlas.pointer(q);
    Pointer kp = CpuBlas.pointer(k);
    Pointer vp = CpuBlas.pointer(v);
    Pointer pp = CpuBlas.pointer(p);
    Pointer dsp = CpuBlas.pointer(dScores);
    Pointer dqp = CpuBlas.pointer(dq);
    Pointer dkp = CpuBlas.pointer(dk);
    Pointer dvp = CpuBlas.pointer(dv);
    float sc = (float) scale;
    for (int row = 0; row < n; row++) {
      long pRow = (long) row * heads * t * t;
      for (int h = 0; h < heads; h++) {
        long qAt = at.query(row, h);
        long kAt = at.keyValue(row, h);
        long pAt = pRow + (long) h * t * t;
        // the group's first head overwrites dK and dV, the others add to them (heads in order)
        double beta = h % at.rep() == 0 ? 0.0 : 1.0;
        CpuBlas.call(
            type,
            true,
            false,
            t,
            at.hd(),
            t,
            1.0,
            pp.position(pAt),
            t,
            dop.position(qAt),
            at.ldq(),
            beta,
            dvp.position(kAt),
            at.ldk());
        CpuBlas.call(
            type,
            false,
            true,
            t,
            t,
            at.hd(),
            1.0,
            dop.position(qAt),
            at.ldq(),
            vp.position(kAt),
            at.ldk(),
            0.0,
            dsp.position((long) h * t * t),
            t);
      }
      // dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale for every head's rows: independent rows, sliced
      ParallelRows.run(
          heads * t,
          (long) heads * t * t,
          (from, to) -> {
            float[] dRow = new float[t];
            float[] pRowValues = new float[t];
            for (int i = from; i < to; i++) {
              ds.read(i * t, dRow, t);
              probs.read((int) (pRow + (long) i * t), pRowValues, t);
              double dot = 0;
              for (int j = 0; j < t; j++) {
                dot += dRow[j] * pRowValues[j];
              }
              float dt = (float) dot;
              for (int j = 0; j < t; j++) {
                dRow[j] = pRowValues[j] * (dRow[j] - dt) * sc;
              }
              ds.write(i * t, dRow, t);
            }
          });
      for (int h = 0; h < heads; h++) {
        long qAt = at.query(row, h);
        long kAt = at.keyValue(row, h);
        double beta = h % at.rep() == 0 ? 0.0 : 1.0;
        CpuBlas.call(
            type,
            false,
            false,
            t,
            at.hd(),
            t,
            1.0,
            dsp.position((long) h * t * t),
            t,
            kp.position(kAt),
            at.ldk(),
            0.0,
            dqp.position(qAt),
            at.ldq());
        CpuBlas.call(
            type,
            true,
            false,
            t,
            at.hd(),
            t,
            1.0,
            dsp.position((long) h * t * t),
            t,
            qp.position(qAt),
            at.ldq(),
            beta,
            dkp.position(kAt),
            at.ldk());
      }
    }
    Ops.free(dScores);
    return true;
  }

  /**
   * Where the heads of a pass live in its [R, H·hd] query rows and [R, G·hd] key/value rows (R =
   * N·T): query head h of sequence n starts at row n·T, column h·hd, and reads key/value head h /
   * rep; the leading dimensions are the rows' widths.
   */
  private record Heads(int hd, int rep, int ldq, int ldk, int t) {
    Heads(INDArray q, INDArray k, int heads, int t) {
      this(
          (int) (q.size(1) / heads),
          (int) (heads / (k.size(1) / (q.size(1) / heads))),
          (int) q.size(1),
          (int) k.size(1),
          t);
    }

    long query(int row, int h) {
      return (long) row * t * ldq + (long) h * hd;
    }

    long keyValue(int row, int h) {
      return (long) row * t * ldk + (long) (h / rep) * hd;
    }
  }

  private static boolean sameType(DataType type, INDArray... arrays) {
    for (INDArray a : arrays) {
      if (a.dataType() != type) {
        return false;
      }
    }
    return true;
  }

  /**
   * table[ids[r]] += rows[r] for every r (repeated ids accumulate): an embedding's gradient. Only
   * the rows named are read and written. ND4J's scatter_add op took 1.5 ms for [1024, 128] rows
   * into a 98-row table, 3% of the small gpt's training step.
   */
  static boolean scatterAddRows(INDArray table, int[] ids, INDArray rows) {
    Buf to = Buf.of(table);
    Buf from = Buf.of(rows);
    if (to == null || from == null || table.dataType() != rows.dataType()) {
      return false;
    }
    int d = (int) table.size(1);
    // sliced by destination: each slice adds the rows that land in its range of table rows, in
    // the order of r, so a repeated id sums in the same order whatever the slice count
    ParallelRows.run(
        (int) table.size(0),
        (long) ids.length * d,
        (lo, hi) -> {
          float[] row = new float[d];
          float[] sum = new float[d];
          for (int r = 0; r < ids.length; r++) {
            if (ids[r] < lo || ids[r] >= hi) {
              continue;
            }
            from.read(r * d, row, d);
            to.read(ids[r] * d, sum, d);
            for (int j = 0; j < d; j++) {
              sum[j] += row[j];
            }
            to.write(ids[r] * d, sum, d);
          }
        });
    return true;
  }

  /**
   * Σ x² of a float tensor, accumulated in double by OpenBLAS's vectorized {@code cblas_dsdot} (a
   * gradient's squared norm); NaN for an array the kernels do not take. ND4J's norm2 sums in float:
   * on a 28M-element tensor (SmolLM2's embedding) its square came out 7% low, and it took 34-82 ms
   * where dsdot took 13-23 ms (and 90-300 µs against 9 µs on [128, 128]).
   */
  public static double sumOfSquares(INDArray x) {
    if (!Buf.usable(x)) {
      return Double.NaN;
    }
    FloatPointer p = (FloatPointer) CpuBlas.pointer(x);
    return openblas_nolapack.cblas_dsdot((int) x.length(), p, 1, p, 1);
  }

  /**
   * In place: s[at, at + n) += mask[maskAt, maskAt + n), then softmax. Masked slots (−1e9) get
   * probability 0 without an exponential: half of a causal score block.
   */
  private static void softmaxRow(float[] s, int at, int n, float[] mask, int maskAt) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < n; j++) {
      s[at + j] += mask[maskAt + j];
      max = Math.max(max, s[at + j]);
    }
    double total = 0;
    for (int j = at; j < at + n; j++) {
      float e = mask[maskAt + j - at] <= HIDDEN ? 0f : (float) Math.exp(s[j] - max);
      s[j] = e;
      total += e;
    }
    if (total == 0) { // every slot hidden: no row of ours, but then as the ND4J softmax does
      for (int j = at; j < at + n; j++) {
        s[j] = (float) Math.exp(s[j] - max);
        total += s[j];
      }
    }
    float inv = (float) (1.0 / total);
    for (int j = at; j < at + n; j++) {
      s[j] *= inv;
    }
  }

  /** Mask values at or below this hide a slot ({@link Batch#MASKED} is −1e9). */
  private static final double HIDDEN = Batch.MASKED / 2.0;

  private static void addInto(Buf target, float[] values) {
    if (target != null) {
      float[] current = target.read(0, new float[values.length], values.length);
      for (int j = 0; j < values.length; j++) {
        current[j] += values[j];
      }
      target.write(0, current, values.length);
    }
  }

  /**
   * The elements of a row-major contiguous float array on the CPU backend, copied in and out of
   * Java arrays in bulk (the loops then run on float[], which the JIT vectorizes). An array's
   * data() buffer starts at its first element, views included. Double arrays (the tests' finite
   * differences) take the ND4J path.
   */
  static final class Buf {
    private final FloatBuffer f;

    private Buf(FloatBuffer f) {
      this.f = f;
    }

    /** dst[0, n) = elements [at, at + n); returns dst. */
    float[] read(int at, float[] dst, int n) {
      f.get(at, dst, 0, n);
      return dst;
    }

    /** Elements [at, at + n) = src[0, n). */
    void write(int at, float[] src, int n) {
      f.put(at, src, 0, n);
    }

    /** Whether {@link #of} would take the array (checked without mapping its memory). */
    static boolean usable(INDArray x) {
      return enabled
          && !x.isEmpty()
          && x.length() <= Integer.MAX_VALUE
          && x.dataType() == DataType.FLOAT
          && contiguous(x);
    }

    static Buf of(INDArray x) {
      if (!usable(x)) {
        return null;
      }
      ByteBuffer bytes = x.data().asNio().order(ByteOrder.nativeOrder());
      if (bytes.capacity() < x.length() * Float.BYTES) {
        return null;
      }
      return new Buf(bytes.asFloatBuffer());
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
}
