package org.tokenrl.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Scaled dot-product attention with grouped-query heads (H query heads share G key/value heads, H =
 * G · rep, query head h reads key/value head h / rep, as HF's {@code repeat_kv}) and an additive
 * mask (causal plus padding). K and V are never repeated: the rep query heads of a group are
 * stacked along the rows, [N, G, rep·T, hd], so one batched GEMM per group serves them all.
 *
 * <pre>
 *   S = Q Kᵀ / sqrt(hd) + mask      P = softmax(S)      O = P V
 *   dV = Pᵀ dO    dP = dO Vᵀ    dS = P ⊙ (dP − rowsum(dP ⊙ P)) / sqrt(hd)
 *   dQ = dS K     dK = dSᵀ Q
 * </pre>
 */
public final class Attention {
  final int heads;
  final int kvHeads;
  final int headDim;
  private final int rep;
  private final double scale;
  private INDArray q4; // [N, G, rep·T, hd]
  private INDArray k4; // [N, G, T, hd]
  private INDArray v4; // [N, G, T, hd]
  private INDArray p4; // [N, G, rep·T, T]
  // The CPU kernel path keeps the inputs as they came and the probabilities [N, H, T, T].
  private INDArray qRows; // [R, H·hd]
  private INDArray kRows; // [R, G·hd]
  private INDArray vRows; // [R, G·hd]
  private INDArray probs; // [N, H, T, T]
  private int n;
  private int t;

  public Attention(int heads, int kvHeads, int headDim) {
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.rep = heads / kvHeads;
    this.scale = 1.0 / Math.sqrt(headDim);
  }

  /** Keys and values of the last forward pass, [N, G, T, hd] (copied into a KV cache). */
  public INDArray keys() {
    if (k4 == null && kRows != null) {
      k4 = toHeads(kRows, n, t, kvHeads);
    }
    return k4;
  }

  public INDArray values() {
    if (v4 == null && vRows != null) {
      v4 = toHeads(vRows, n, t, kvHeads);
    }
    return v4;
  }

  /**
   * q [R, H·hd], k and v [R, G·hd] with R = N·T rows, mask [N, 1, T, T] -> [R, H·hd]. Keeps what
   * the backward pass needs (and the keys/values for a cache) until the next call.
   */
  public INDArray forward(INDArray q, INDArray k, INDArray v, INDArray mask, int n, int t) {
    this.n = n;
    this.t = t;
    q4 = k4 = v4 = p4 = null;
    INDArray out = Ops.empty(q.dataType(), q.shape());
    INDArray p = Ops.empty(q.dataType(), n, heads, t, t);
    if (CpuKernels.attend(q, k, v, mask, n, t, heads, scale, out, p)) {
      qRows = q;
      kRows = k;
      vRows = v;
      probs = p;
      return out;
    }
    qRows = kRows = vRows = probs = null;
    q4 = toHeads(q, n, t, heads).reshape('c', n, kvHeads, (long) rep * t, headDim);
    k4 = toHeads(k, n, t, kvHeads);
    v4 = toHeads(v, n, t, kvHeads);
    INDArray s = Ops.bmm(q4, false, k4, true).muli(scale); // [N, G, rep·T, T]
    INDArray masked = s.reshape('c', n, heads, t, t).addi(mask); // [N, H, T, T]
    p4 = Ops.softmaxLast(masked).reshape('c', n, kvHeads, (long) rep * t, t);
    INDArray o = Ops.bmm(p4, false, v4, false); // [N, G, rep·T, hd]
    return fromHeads(o.reshape('c', n, heads, t, headDim));
  }

  /** dOut [R, H·hd] -> {dq [R, H·hd], dk [R, G·hd], dv [R, G·hd]}. */
  public INDArray[] backward(INDArray dOut, int n, int t) {
    if (probs != null) {
      INDArray dq = Ops.empty(dOut.dataType(), qRows.shape());
      INDArray dk = Ops.empty(dOut.dataType(), kRows.shape());
      INDArray dv = Ops.empty(dOut.dataType(), vRows.shape());
      if (CpuKernels.attendBackward(
          dOut, qRows, kRows, vRows, probs, n, t, heads, scale, dq, dk, dv)) {
        qRows = kRows = vRows = probs = null;
        return new INDArray[] {dq, dk, dv};
      }
      // dOut in a layout the kernel declines: the ND4J ops below, from the kept inputs.
      q4 = toHeads(qRows, n, t, heads).reshape('c', n, kvHeads, (long) rep * t, headDim);
      keys();
      values();
      p4 = probs.reshape('c', n, kvHeads, (long) rep * t, t);
      qRows = kRows = vRows = probs = null;
    }
    INDArray dO = toHeads(dOut, n, t, heads).reshape('c', n, kvHeads, (long) rep * t, headDim);
    INDArray dV = Ops.bmm(p4, true, dO, false); // [N, G, T, hd]
    INDArray dP = Ops.bmm(dO, false, v4, true); // [N, G, rep·T, T]
    INDArray dS = dP.subi(dP.mul(p4).sum(true, 3)).muli(p4).muli(scale);
    INDArray dQ = Ops.bmm(dS, false, k4, false); // [N, G, rep·T, hd]
    INDArray dK = Ops.bmm(dS, true, q4, false); // [N, G, T, hd]
    INDArray[] grads = {
      fromHeads(dQ.reshape('c', n, heads, t, headDim)), fromHeads(dK), fromHeads(dV)
    };
    q4 = k4 = v4 = p4 = null;
    return grads;
  }

  /**
   * One new query per row against a {@link KvCache} that already holds this token's keys and
   * values: q [B, H·hd] -> [B, H·hd]. Each row attends to its prompt block and its generated slots
   * (the one just written included); see {@link KvCache#attend}.
   */
  public INDArray decode(INDArray q, KvCache cache, int layer) {
    long b = q.size(0);
    if (cache.floats()) {
      float[] out = new float[(int) (b * heads * headDim)];
      cache.attend(layer, Tensors.toFloats(q), heads, cache.length() + 1, (float) scale, out);
      return Tensors.array(out, q.dataType(), b, (long) heads * headDim);
    }
    double[] out = new double[(int) (b * heads * headDim)];
    cache.attend(layer, Tensors.toDoubles(q), heads, cache.length() + 1, scale, out);
    return Tensors.fromDoubles(out, q.dataType(), b, (long) heads * headDim);
  }

  /** [N·T, nh·hd] -> [N, nh, T, hd] (a copy in the new order). */
  static INDArray toHeads(INDArray x, int n, int t, int nh) {
    long hd = x.size(1) / nh;
    return x.reshape('c', n, t, nh, hd).permute(0, 2, 1, 3).dup('c');
  }

  /** [N, nh, T, hd] -> [N·T, nh·hd]. */
  static INDArray fromHeads(INDArray x) {
    long n = x.size(0);
    long nh = x.size(1);
    long t = x.size(2);
    long hd = x.size(3);
    return x.permute(0, 2, 1, 3).dup('c').reshape('c', n * t, nh * hd);
  }
}
