package org.tokenrl.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.tokenrl.model.VocabCoef;

/**
 * The LM head and everything computed from its logits, in chunks of rows so that no array larger
 * than [chunk, V] ever exists (a 49k or 152k vocabulary times thousands of positions would not
 * fit). For each scored row r with logits z = h·Wᵀ/τ and log p = z − logsumexp(z):
 *
 * <pre>
 *   logp(y_r), entropy H_r = −Σ p log p,   and for the surrogate
 *   L = Σ_r c_r log p(y_r) + Σ_r Σ_v a_rv log p(v) + Σ_r g_r H_r:
 *   dL/dz_rj = c_r [j = y_r] + a_rj − p_rj (c_r + Σ_v a_rv) − g_r p_rj (log p_rj + H_r),
 *   dL/dlogits = dL/dz / τ
 * </pre>
 *
 * then dh = dlogits · W and dW += dlogitsᵀ · h, chunk by chunk. The last term of dL/dz is the exact
 * entropy gradient dH/dz_j = −p_j (log p_j + H) (docs/entropy-bonus.md), dense over the vocabulary;
 * rows whose entropy coefficient g_r is 0 (or absent) skip it.
 */
public final class LmHead {
  /** Upper bound on the elements of one logits chunk. */
  public static long chunkElements = 1L << 24; // 64 MB of float32; tests lower it

  /** Largest logits chunk (elements) allocated so far: tests assert no [N·T, V] array appears. */
  public static volatile long largestChunk;

  private LmHead() {}

  public static int chunkRows(long vocab) {
    return (int) Math.max(1, chunkElements / vocab);
  }

  /** Largest logits a {@link Logits} keeps between two calls (elements; 128 MB of float32). */
  public static long keepElements = 1L << 25;

  /**
   * The raw logits of one scoring call, kept (outside any workspace) for the gradient call that
   * follows on the same rows, which then skips the head's forward GEMM. Used once; {@link #close}
   * frees what was not used.
   */
  public static final class Logits implements AutoCloseable {
    private final java.util.List<INDArray> chunks = new java.util.ArrayList<>();
    private boolean filled;

    /**
     * A holder for S rows of a V-token vocabulary, or null when they exceed {@link #keepElements}.
     */
    public static Logits upTo(long rows, long vocab) {
      return rows * vocab <= keepElements ? new Logits() : null;
    }

    @Override
    public void close() {
      chunks.forEach(Ops::free);
      chunks.clear();
    }
  }

  /** Per scored row: log p of the target, entropy, the surrogate loss and dL/dhidden. */
  public record Result(double[] logp, double[] entropy, double loss, INDArray dHidden) {}

  /** {@link #run} without an entropy term. */
  public static Result run(
      INDArray hidden,
      INDArray w,
      INDArray dW,
      int[] targets,
      double temperature,
      double[] targetCoef,
      VocabCoef[] vocabCoef,
      java.util.function.ObjIntConsumer<float[]> rows) {
    return run(hidden, w, dW, targets, temperature, targetCoef, vocabCoef, null, rows);
  }

  /**
   * @param hidden final hidden states of the scored rows, [S, d]
   * @param w head weight [V, d]
   * @param dW head weight gradient to add to, or null when the head does not train (scoring, or a
   *     frozen head); dL/dhidden is computed whenever {@code targetCoef} is given
   * @param targets target id per row (-1: none)
   * @param targetCoef c_r per row (null: zeros)
   * @param vocabCoef a_r per row (null or null entries: zeros)
   * @param entropyCoef g_r per row, the coefficient of the row's entropy in L (null: zeros); needs
   *     {@code targetCoef}
   * @param rows receives each row's log p over the vocabulary (may be null)
   */
  public static Result run(
      INDArray hidden,
      INDArray w,
      INDArray dW,
      int[] targets,
      double temperature,
      double[] targetCoef,
      VocabCoef[] vocabCoef,
      double[] entropyCoef,
      java.util.function.ObjIntConsumer<float[]> rows) {
    return run(hidden, w, dW, targets, temperature, targetCoef, vocabCoef, entropyCoef, rows, null);
  }

  /**
   * {@link #run} that fills {@code logits} (not yet filled: this call keeps a copy of every chunk's
   * logits) or reads it (filled by a call on the same rows: its logits replace the GEMM). Null:
   * neither.
   */
  public static Result run(
      INDArray hidden,
      INDArray w,
      INDArray dW,
      int[] targets,
      double temperature,
      double[] targetCoef,
      VocabCoef[] vocabCoef,
      double[] entropyCoef,
      java.util.function.ObjIntConsumer<float[]> rows,
      Logits logits) {
    boolean reuse = logits != null && logits.filled;
    if (entropyCoef != null && targetCoef == null) {
      throw new IllegalArgumentException(
          "an entropy coefficient needs targetCoef (a training pass)");
    }
    int s = (int) hidden.size(0);
    int v = (int) w.size(0);
    Scoring sc =
        new Scoring(s, targets, 1.0 / temperature, targetCoef, vocabCoef, entropyCoef, rows);
    INDArray dHidden = targetCoef == null ? null : Ops.empty(hidden.dataType(), s, hidden.size(1));
    int chunk = chunkRows(v);
    for (int from = 0; from < s; from += chunk) {
      int to = Math.min(s, from + chunk);
      largestChunk = Math.max(largestChunk, (long) (to - from) * v);
      INDArray h =
          hidden.get(
              org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to),
              org.nd4j.linalg.indexing.NDArrayIndex.all());
      INDArray z; // [c, V] logits before the temperature
      if (reuse) {
        z = logits.chunks.set(from / chunk, null);
      } else {
        z = Ops.mm(h, false, w, true);
        if (logits != null) {
          try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            logits.chunks.add(z.dup());
          }
        }
      }
      // dL/dlogits [c, V] when the head trains (targetCoef given); otherwise p, unused
      INDArray dz = CpuKernels.Buf.usable(z) ? sc.onHost(z, from) : sc.withOps(z, from);
      if (targetCoef != null) {
        INDArray dh =
            dHidden.get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to),
                org.nd4j.linalg.indexing.NDArrayIndex.all());
        Ops.gemm(dz, false, w, false, dh, 0.0); // [c, d]
        if (dW != null) { // null: a frozen head (LoRA)
          Ops.gemm(dz, true, h, false, dW, 1.0); // dW [V, d] += dzᵀ · h
        }
      }
      Ops.free(z, dz);
    }
    if (logits != null) {
      logits.filled = !reuse;
    }
    return new Result(sc.logp, sc.entropy, sc.loss, dHidden);
  }

  /**
   * The per-row statistics of one call, filled chunk by chunk, by one of two routes over the same
   * formulas: ND4J ops (any backend), or on the CPU backend Java loops over rows copied in bulk
   * around a single ND4J exponential (vectorized natively, where a Java loop's is not). The loops
   * replace 13 ops a chunk, which at a 98-token vocabulary cost more than their arithmetic.
   */
  private static final class Scoring {
    final int[] targets;
    final double invTemp;
    final double[] targetCoef; // null: the head is only scored
    final VocabCoef[] vocabCoef;
    final double[] entropyCoef; // null: no entropy term
    final java.util.function.ObjIntConsumer<float[]> rows;
    final double[] logp;
    final double[] entropy;
    double loss;

    Scoring(
        int s,
        int[] targets,
        double invTemp,
        double[] targetCoef,
        VocabCoef[] vocabCoef,
        double[] entropyCoef,
        java.util.function.ObjIntConsumer<float[]> rows) {
      this.targets = targets;
      this.invTemp = invTemp;
      this.targetCoef = targetCoef;
      this.vocabCoef = vocabCoef;
      this.entropyCoef = entropyCoef;
      this.rows = rows;
      this.logp = new double[s];
      this.entropy = new double[s];
    }

    /**
     * Rows [from, from + c) from their raw logits z [c, V] (overwritten); returns what {@link
     * LmHead#run} calls dz.
     */
    INDArray onHost(INDArray z, int from) {
      int c = (int) z.size(0);
      int v = (int) z.size(1);
      CpuKernels.Buf zs = CpuKernels.Buf.of(z);
      float invT = (float) invTemp;
      ParallelRows.run(
          c,
          (long) c * v,
          (lo, hi) -> {
            float[] row = new float[v];
            for (int i = lo; i < hi; i++) { // z ← z/τ − max(z/τ)
              zs.read(i * v, row, v);
              float max = Float.NEGATIVE_INFINITY;
              for (int j = 0; j < v; j++) {
                row[j] *= invT;
                max = Math.max(max, row[j]);
              }
              for (int j = 0; j < v; j++) {
                row[j] -= max;
              }
              zs.write(i * v, row, v);
            }
          });
      INDArray e = Transforms.exp(z, true); // [c, V]
      CpuKernels.Buf es = CpuKernels.Buf.of(e);
      // each row's terms of the loss, added to it below in row order: the same sum on any slices
      double[][] lossTerms = new double[c][];
      ParallelRows.Body body = (lo, hi) -> rowsOnHost(zs, es, v, from, lo, hi, lossTerms);
      if (rows == null) {
        ParallelRows.run(c, (long) c * v, body);
      } else { // the caller's consumer sees the rows in order, on this thread
        body.rows(0, c);
      }
      for (double[] terms : lossTerms) {
        for (double term : terms) {
          loss += term;
        }
      }
      return e;
    }

    /**
     * Chunk rows [lo, hi) of {@link #onHost} from z/τ − max and its exponential: log p, entropy,
     * dL/dz into {@code es}, and the row's terms of the loss into {@code lossTerms}.
     */
    private void rowsOnHost(
        CpuKernels.Buf zs,
        CpuKernels.Buf es,
        int v,
        int from,
        int lo,
        int hi,
        double[][] lossTerms) {
      float invT = (float) invTemp;
      float[] row = new float[v];
      float[] pRow = new float[v];
      for (int i = lo; i < hi; i++) {
        int r = from + i;
        zs.read(i * v, row, v);
        es.read(i * v, pRow, v);
        double sum = 0;
        for (int j = 0; j < v; j++) {
          sum += pRow[j];
        }
        float logSum = (float) Math.log(sum);
        float inv = (float) (1.0 / sum);
        double ent = 0;
        for (int j = 0; j < v; j++) {
          row[j] -= logSum; // log p
          pRow[j] *= inv; // p
          ent -= pRow[j] * row[j];
        }
        entropy[r] = ent;
        int y = targets[r];
        logp[r] = y >= 0 ? row[y] : Double.NaN;
        if (rows != null) {
          rows.accept(row, r);
        }
        // dL/dz = c_r [j = y] + a_rj − p_j (c_r + Σ a_rv), then / τ
        double cr = y >= 0 && targetCoef != null ? targetCoef[r] : 0;
        VocabCoef a = vocabCoef == null ? null : vocabCoef[r];
        double[] terms = new double[2 + (a == null ? 0 : a.ids().length)];
        int count = 0;
        double scale = 0;
        if (cr != 0) {
          terms[count++] = cr * row[y];
          scale += cr;
        }
        for (int j = 0; a != null && j < a.ids().length; j++) {
          if (a.values()[j] != 0) {
            terms[count++] = a.values()[j] * row[a.ids()[j]];
            scale += a.values()[j];
          }
        }
        double g = entropyCoef == null ? 0 : entropyCoef[r];
        if (g != 0) {
          terms[count++] = g * ent;
        }
        lossTerms[i] = java.util.Arrays.copyOf(terms, count);
        if (targetCoef != null) {
          if (g == 0) {
            float minus = (float) -scale;
            for (int j = 0; j < v; j++) {
              pRow[j] *= minus;
            }
          } else { // − p_j (scale + g (log p_j + H))
            for (int j = 0; j < v; j++) {
              pRow[j] = (float) (pRow[j] * -(scale + g * (row[j] + ent)));
            }
          }
          if (y >= 0) {
            pRow[y] += (float) cr;
          }
          for (int j = 0; a != null && j < a.ids().length; j++) {
            pRow[a.ids()[j]] += (float) a.values()[j];
          }
          for (int j = 0; j < v; j++) {
            pRow[j] *= invT;
          }
          es.write(i * v, pRow, v);
        }
      }
    }

    /** {@link #onHost} as ND4J ops (other backends, double arrays). */
    INDArray withOps(INDArray z, int from) {
      int c = (int) z.size(0);
      int v = (int) z.size(1);
      z.muli(invTemp);
      z.subiColumnVector(z.max(1));
      INDArray e = Transforms.exp(z, true); // [c, V]
      INDArray sum = e.sum(true, 1); // [c, 1]
      INDArray lp = z.subiColumnVector(Transforms.log(sum, true)); // z is now log p
      INDArray p = e.diviColumnVector(sum); // e is now p
      double[] ent = lp.mul(p).sum(1).neg().toDoubleVector();
      // The sparse entries (row, id, coefficient) of this chunk: targets first, then vocabCoef.
      Sparse sp = Sparse.of(from, c, targets, targetCoef, vocabCoef);
      double[] picked = sp.size() == 0 ? new double[0] : gatherNd(lp, sp.index()); // log p there
      double[] scale = new double[c]; // c_r + Σ a_rv, multiplies −p in dL/dz
      for (int j = 0; j < sp.size(); j++) {
        if (j < sp.targets()) {
          logp[from + sp.row()[j]] = picked[j];
        }
        if (sp.coef()[j] != 0) {
          loss += sp.coef()[j] * picked[j];
          scale[sp.row()[j]] += sp.coef()[j];
        }
      }
      for (int i = 0; i < c; i++) {
        int r = from + i;
        entropy[r] = ent[i];
        if (targets[r] < 0) {
          logp[r] = Double.NaN;
        }
      }
      if (rows != null) {
        float[] lpHost = lp.data().asFloat(); // [c·V]
        float[] rowBuf = new float[v];
        for (int i = 0; i < c; i++) {
          System.arraycopy(lpHost, i * v, rowBuf, 0, v);
          rows.accept(rowBuf, from + i);
        }
      }
      // g_r p (log p + H_r) [c, V], before p is overwritten; null when no row of the chunk has g
      INDArray entropyTerm = null;
      double[] g =
          entropyCoef == null ? null : java.util.Arrays.copyOfRange(entropyCoef, from, from + c);
      if (g != null && java.util.Arrays.stream(g).anyMatch(x -> x != 0)) {
        for (int i = 0; i < c; i++) {
          loss += g[i] * ent[i];
        }
        entropyTerm =
            lp.addColumnVector(Nd4j.create(ent, new long[] {c, 1}, p.dataType()))
                .muli(p)
                .muliColumnVector(Nd4j.create(g, new long[] {c, 1}, p.dataType()));
      }
      if (targetCoef != null) {
        // dz = −p · scale_r, then the sparse terms: + c_r at y_r, + a_rv at v
        p.muliColumnVector(Nd4j.create(scale, new long[] {c, 1}, p.dataType()).negi());
        if (sp.size() > 0) {
          Nd4j.exec(
              DynamicCustomOp.builder("scatter_nd_add")
                  .addInputs(
                      p, sp.index(), Nd4j.create(sp.coef(), new long[] {sp.size()}, p.dataType()))
                  .addOutputs(p)
                  .build());
        }
        if (entropyTerm != null) {
          p.subi(entropyTerm); // − g_r p (log p + H_r)
          Ops.free(entropyTerm);
        }
        p.muli(invTemp); // dL/dlogits
      }
      return p;
    }
  }

  /** a[index[j, 0], index[j, 1]] for every j, as one op. */
  private static double[] gatherNd(INDArray a, INDArray index) {
    INDArray out = Nd4j.createUninitialized(a.dataType(), index.size(0));
    Nd4j.exec(DynamicCustomOp.builder("gather_nd").addInputs(a, index).addOutputs(out).build());
    return out.toDoubleVector();
  }

  /**
   * The sparse coefficients of one chunk as (chunk row, id, coefficient) triples, targets first
   * (one per row with a target, coefficient 0 when none is given) and then the vocabCoef entries;
   * {@code index} is the [size, 2] (row, id) array the gather/scatter ops take.
   */
  private record Sparse(int[] row, double[] coef, int targets, INDArray index) {
    int size() {
      return row.length;
    }

    static Sparse of(int from, int c, int[] targets, double[] targetCoef, VocabCoef[] vocabCoef) {
      int n = 0;
      int t = 0;
      for (int i = 0; i < c; i++) {
        t += targets[from + i] >= 0 ? 1 : 0;
        VocabCoef a = vocabCoef == null ? null : vocabCoef[from + i];
        n += a == null ? 0 : a.ids().length;
      }
      int[] row = new int[t + n];
      double[] coef = new double[t + n];
      int[][] index = new int[t + n][];
      int k = 0;
      for (int i = 0; i < c; i++) {
        int y = targets[from + i];
        if (y >= 0) {
          row[k] = i;
          coef[k] = targetCoef == null ? 0 : targetCoef[from + i];
          index[k++] = new int[] {i, y};
        }
      }
      for (int i = 0; i < c; i++) {
        VocabCoef a = vocabCoef == null ? null : vocabCoef[from + i];
        for (int j = 0; a != null && j < a.ids().length; j++) {
          row[k] = i;
          coef[k] = a.values()[j];
          index[k++] = new int[] {i, a.ids()[j]};
        }
      }
      return new Sparse(row, coef, t, k == 0 ? null : Nd4j.createFromArray(index));
    }
  }
}
