package org.tokenrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The LM head and everything computed from its logits, in chunks of rows so that no array larger
 * than [chunk, V] ever exists (a 49k or 152k vocabulary times thousands of positions would not fit).
 * For each scored row r with logits z = h·Wᵀ/τ and log p = z − logsumexp(z):
 *
 * <pre>
 *   logp(y_r), entropy −Σ p log p,   and for the surrogate L = Σ_r c_r log p(y_r) + Σ_r Σ_v a_rv log p(v):
 *   dL/dz_rj = c_r [j = y_r] + a_rj − p_rj (c_r + Σ_v a_rv),   dL/dlogits = dL/dz / τ
 * </pre>
 *
 * then dh = dlogits · W and dW += dlogitsᵀ · h, chunk by chunk.
 */
final class LmHead {
  /** Upper bound on the elements of one logits chunk (16 MB of float32). */
  static long chunkElements = 1L << 22; // tests lower it to exercise several chunks

  /** Largest logits chunk (elements) allocated so far: tests assert no [N·T, V] array appears. */
  static volatile long largestChunk;

  private LmHead() {}

  static int chunkRows(long vocab) {
    return (int) Math.max(1, chunkElements / vocab);
  }

  /** Per scored row: log p of the target, entropy, the surrogate loss and dL/dhidden. */
  record Result(double[] logp, double[] entropy, double loss, INDArray dHidden) {}

  /**
   * @param hidden final hidden states of the scored rows, [S, d]
   * @param w head weight [V, d]
   * @param dW head weight gradient to add to, or null when not training
   * @param targets target id per row (-1: none)
   * @param targetCoef c_r per row (null: zeros)
   * @param vocabCoef a_r per row (null or null entries: zeros)
   * @param rows receives each row's log p over the vocabulary (may be null)
   */
  static Result run(
      INDArray hidden,
      INDArray w,
      INDArray dW,
      int[] targets,
      double temperature,
      double[] targetCoef,
      VocabCoef[] vocabCoef,
      java.util.function.ObjIntConsumer<float[]> rows) {
    int s = (int) hidden.size(0);
    int v = (int) w.size(0);
    double invTemp = 1.0 / temperature;
    double[] logp = new double[s];
    double[] entropy = new double[s];
    double loss = 0;
    INDArray dHidden = dW == null ? null : Ops.empty(hidden.dataType(), s, hidden.size(1));
    int chunk = chunkRows(v);
    float[] rowBuf = (rows != null || vocabCoef != null) ? new float[v] : null;
    for (int from = 0; from < s; from += chunk) {
      int to = Math.min(s, from + chunk);
      int c = to - from;
      largestChunk = Math.max(largestChunk, (long) c * v);
      INDArray h = hidden.get(
          org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to),
          org.nd4j.linalg.indexing.NDArrayIndex.all());
      INDArray z = Ops.mm(h, false, w, true).muli(invTemp); // [c, V]
      z.subiColumnVector(z.max(1));
      INDArray e = Transforms.exp(z, true); // [c, V]
      INDArray sum = e.sum(true, 1); // [c, 1]
      INDArray lp = z.subiColumnVector(Transforms.log(sum, true)); // z is now log p
      INDArray p = e.diviColumnVector(sum); // e is now p
      double[] ent = lp.mul(p).sum(1).neg().toDoubleVector();
      double[] lpHost = rowBuf == null ? null : lp.data().asDouble(); // [c·V], only when needed
      double[] scale = new double[c]; // c_r + Σ a_rv, multiplies −p in dL/dz
      for (int i = 0; i < c; i++) {
        int r = from + i;
        entropy[r] = ent[i];
        int y = targets[r];
        logp[r] = y >= 0 ? lp.getDouble(i, y) : Double.NaN;
        double cr = targetCoef == null ? 0 : targetCoef[r];
        if (y >= 0 && cr != 0) {
          loss += cr * logp[r];
        }
        scale[i] = cr;
        VocabCoef a = vocabCoef == null ? null : vocabCoef[r];
        if (a != null) {
          for (int j = 0; j < a.ids().length; j++) {
            scale[i] += a.values()[j];
            if (a.values()[j] != 0) {
              loss += a.values()[j] * lpHost[i * v + a.ids()[j]];
            }
          }
        }
        if (rows != null) {
          for (int k = 0; k < v; k++) {
            rowBuf[k] = (float) lpHost[i * v + k];
          }
          rows.accept(rowBuf, r);
        }
      }
      if (dW != null) {
        // dz = −p · scale_r, then the sparse terms: + c_r at y_r, + a_rv at v
        INDArray dz = p.muliColumnVector(
            org.nd4j.linalg.factory.Nd4j.create(scale, new long[] {c, 1}, p.dataType()).negi());
        for (int i = 0; i < c; i++) {
          int r = from + i;
          if (targets[r] >= 0 && targetCoef != null && targetCoef[r] != 0) {
            dz.putScalar(i, targets[r], dz.getDouble(i, targets[r]) + targetCoef[r]);
          }
          VocabCoef a = vocabCoef == null ? null : vocabCoef[r];
          if (a != null) {
            for (int j = 0; j < a.ids().length; j++) {
              int id = a.ids()[j];
              dz.putScalar(i, id, dz.getDouble(i, id) + a.values()[j]);
            }
          }
        }
        dz.muli(invTemp); // dL/dlogits
        INDArray dh = dHidden.get(
            org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to),
            org.nd4j.linalg.indexing.NDArrayIndex.all());
        dh.assign(Ops.mm(dz, false, w, false)); // [c, d]
        Ops.gemm(dz, true, h, false, dW, 1.0); // dW [V, d] += dzᵀ · h
      }
      Ops.free(z, e);
    }
    return new Result(logp, entropy, loss, dHidden);
  }
}
