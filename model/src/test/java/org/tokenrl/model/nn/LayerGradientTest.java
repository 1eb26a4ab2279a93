package org.tokenrl.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.model.Params;
import org.tokenrl.model.VocabCoef;
import org.tokenrl.model.arch.Batch;

/**
 * Every layer's backward pass against central finite differences in double precision: the loss is L
 * = Σ y ⊙ R for a fixed random R, so dL/dy = R is what each backward pass receives.
 */
class LayerGradientTest {
  private static final DataType D = DataType.DOUBLE;
  private static final double EPS = 1e-6;
  private final Random rng = new Random(17);

  private INDArray random(long... shape) {
    return Nd4j.rand(D, shape).subi(0.5).muli(2);
  }

  /** Checks every element of {@code x} (small arrays) against the analytic gradient. */
  private static void check(String what, INDArray x, INDArray analytic, Supplier<Double> loss) {
    for (long i = 0; i < x.length(); i++) {
      double orig = x.getDouble(i);
      x.putScalar(i, orig + EPS);
      double plus = loss.get();
      x.putScalar(i, orig - EPS);
      double minus = loss.get();
      x.putScalar(i, orig);
      double numeric = (plus - minus) / (2 * EPS);
      assertEquals(
          numeric, analytic.getDouble(i), 1e-7 + 1e-6 * Math.abs(numeric), what + "[" + i + "]");
    }
  }

  private static double dot(INDArray y, INDArray r) {
    return y.mul(r).sumNumber().doubleValue();
  }

  @Test
  void linearBothLayoutsWithBias() {
    for (boolean outIn : new boolean[] {true, false}) {
      Params p = new Params(D);
      p.gaussian("w", rng, 0.5, outIn ? 5 : 4, outIn ? 4 : 5);
      p.gaussian("b", rng, 0.5, 5);
      Linear lin = new Linear(p, "w", "b", outIn);
      INDArray x = random(3, 4);
      INDArray r = random(3, 5);
      lin.forward(x, true);
      INDArray dx = lin.backward(r);
      Supplier<Double> loss = () -> dot(lin.forward(x, false), r);
      check("dx", x, dx, loss);
      check("dW", p.get("w"), p.grad("w"), loss);
      check("db", p.get("b"), p.grad("b"), loss);
    }
  }

  @Test
  void layerNorm() {
    Params p = new Params(D);
    p.gaussian("ln.gain", rng, 1.0, 6);
    p.gaussian("ln.bias", rng, 1.0, 6);
    LayerNorm ln = new LayerNorm(p, "ln.");
    INDArray x = random(4, 6);
    INDArray r = random(4, 6);
    ln.forward(x, true);
    INDArray dx = ln.backward(r);
    Supplier<Double> loss = () -> dot(ln.forward(x, false), r);
    check("dx", x, dx, loss);
    check("dgain", p.get("ln.gain"), p.grad("ln.gain"), loss);
    check("dbias", p.get("ln.bias"), p.grad("ln.bias"), loss);
  }

  @Test
  void rmsNorm() {
    Params p = new Params(D);
    p.gaussian("w", rng, 1.0, 6);
    RmsNorm norm = new RmsNorm(p, "w", 1e-5);
    INDArray x = random(4, 6);
    INDArray r = random(4, 6);
    norm.forward(x, true);
    INDArray dx = norm.backward(r);
    Supplier<Double> loss = () -> dot(norm.forward(x, false), r);
    check("dx", x, dx, loss);
    check("dw", p.get("w"), p.grad("w"), loss);
  }

  @Test
  void gelu() {
    Gelu g = new Gelu();
    INDArray x = random(3, 7).muli(3);
    INDArray r = random(3, 7);
    g.forward(x, true);
    INDArray dx = g.backward(r);
    check("dx", x, dx, () -> dot(g.forward(x, false), r));
    // against the formula itself at one point: x·σ(1.702 x)
    double v = 0.7;
    double expected = v / (1 + Math.exp(-1.702 * v));
    assertEquals(expected, g.forward(Nd4j.scalar(D, v).reshape(1, 1), false).getDouble(0), 1e-8);
  }

  @Test
  void swiGlu() {
    SwiGlu s = new SwiGlu();
    INDArray gate = random(3, 5).muli(3);
    INDArray up = random(3, 5);
    INDArray r = random(3, 5);
    s.forward(gate, up, true);
    INDArray[] d = s.backward(r);
    Supplier<Double> loss = () -> dot(s.forward(gate, up, false), r);
    check("dgate", gate, d[0], loss);
    check("dup", up, d[1], loss);
    double g = 1.3;
    double u = -0.4;
    INDArray h = s.forward(Nd4j.scalar(D, g).reshape(1, 1), Nd4j.scalar(D, u).reshape(1, 1), false);
    assertEquals(g / (1 + Math.exp(-g)) * u, h.getDouble(0), 1e-12);
  }

  @Test
  void ropeRotatesHalvesAndItsGradientIsTheTranspose() {
    int hd = 6;
    Rope rope = new Rope(hd, 10000, D);
    int[] positions = {0, 3, 7};
    Rope.Angles a = rope.angles(positions);
    INDArray x = random(3, 2 * hd); // two heads
    INDArray r = random(3, 2 * hd);
    INDArray dx = rope.backward(r, a);
    check("dx", x, dx, () -> dot(rope.forward(x, a), r));
    // HF formula for row 1 (position 3), head 1, pair (j, j + hd/2)
    INDArray y = rope.forward(x, a);
    for (int j = 0; j < hd / 2; j++) {
      double angle = 3 * Math.pow(10000, -2.0 * j / hd);
      double x1 = x.getDouble(1, hd + j);
      double x2 = x.getDouble(1, hd + j + hd / 2);
      assertEquals(x1 * Math.cos(angle) - x2 * Math.sin(angle), y.getDouble(1, hd + j), 1e-6);
      assertEquals(
          x2 * Math.cos(angle) + x1 * Math.sin(angle), y.getDouble(1, hd + j + hd / 2), 1e-6);
    }
  }

  @Test
  void groupedQueryAttentionWithPadding() {
    int heads = 4;
    int kvHeads = 2;
    int hd = 3;
    Batch batch = Batch.rightPadded(new int[][] {{1, 2, 3}, {4, 5}}, 16);
    int n = batch.rows;
    int t = batch.slots;
    INDArray mask = batch.mask(D);
    Attention attn = new Attention(heads, kvHeads, hd);
    INDArray q = random(n * t, heads * hd);
    INDArray k = random(n * t, kvHeads * hd);
    INDArray v = random(n * t, kvHeads * hd);
    INDArray r = random(n * t, heads * hd);
    attn.forward(q, k, v, mask, n, t);
    INDArray[] d = attn.backward(r, n, t);
    Supplier<Double> loss = () -> dot(attn.forward(q, k, v, mask, n, t), r);
    check("dq", q, d[0], loss);
    check("dk", k, d[1], loss);
    check("dv", v, d[2], loss);
    // query head 3 reads kv head 1; slot 1 of row 0 attends to slots 0..1 only
    INDArray out = attn.forward(q, k, v, mask, n, t);
    double[] s = new double[2];
    for (int j = 0; j < 2; j++) {
      for (int c = 0; c < hd; c++) {
        s[j] += q.getDouble(1, 3 * hd + c) * k.getDouble(j, hd + c) / Math.sqrt(hd);
      }
    }
    double p0 = 1 / (1 + Math.exp(s[1] - s[0]));
    for (int c = 0; c < hd; c++) {
      double expected = p0 * v.getDouble(0, hd + c) + (1 - p0) * v.getDouble(1, hd + c);
      assertEquals(expected, out.getDouble(1, 3 * hd + c), 1e-12);
    }
  }

  @Test
  void embeddingScatterAddsRepeatedIds() {
    Params p = new Params(D);
    p.gaussian("e", rng, 1.0, 5, 3);
    Embedding e = new Embedding(p, "e");
    int[] ids = {2, 0, 2, 4};
    INDArray r = random(4, 3);
    INDArray y = e.forward(ids, true);
    assertEquals(p.get("e").getDouble(2, 1), y.getDouble(2, 1), 0);
    e.backward(r);
    check("dE", p.get("e"), p.grad("e"), () -> dot(e.forward(ids, false), r));
  }

  @Test
  void chunkedHeadLossGradientLogProbsAndEntropy() {
    long saved = LmHead.chunkElements;
    LmHead.chunkElements = 14; // 2 rows of V = 7 per chunk: 3 chunks for 5 rows
    LmHead.largestChunk = 0;
    try {
      int v = 7;
      INDArray h = random(5, 4);
      Params p = new Params(D);
      p.gaussian("w", rng, 1.0, v, 4);
      INDArray w = p.get("w");
      int[] targets = {3, 0, 6, 6, 2};
      double[] coef = {0.5, -1, 0.25, 0, 2};
      VocabCoef[] vocab = {
        new VocabCoef(new int[] {1, 3, 1}, new float[] {0.5f, -0.25f, 1f}),
        null,
        new VocabCoef(new int[] {0, 1, 2, 3, 4, 5, 6}, new float[] {1, 2, 3, 4, 5, 6, 7}),
        null,
        new VocabCoef(new int[0], new float[0])
      };
      double temp = 0.7;
      LmHead.Result res = LmHead.run(h, w, p.grad("w"), targets, temp, coef, vocab, null);
      Function<Boolean, Double> loss =
          unused -> LmHead.run(h, w, null, targets, temp, coef, vocab, null).loss();
      check("dHidden", h, res.dHidden(), () -> loss.apply(true));
      check("dW", w, p.grad("w"), () -> loss.apply(true));
      // with the entropy term g_r·H_r: its loss is checked against Σ g H of a scoring pass, so the
      // finite differences are of the real entropy, not of LmHead's own accumulation
      double[] g = {0.4, 0, -1.3, 0.9, 0.2};
      p.grad("w").assign(0);
      LmHead.Result withH = LmHead.run(h, w, p.grad("w"), targets, temp, coef, vocab, g, null);
      Supplier<Double> lossH =
          () -> {
            LmHead.Result scored = LmHead.run(h, w, null, targets, temp, coef, vocab, null);
            double sum = scored.loss();
            for (int r = 0; r < g.length; r++) {
              sum += g[r] * scored.entropy()[r];
            }
            return sum;
          };
      assertEquals(lossH.get(), withH.loss(), 1e-12);
      check("dHidden with entropy", h, withH.dHidden(), lossH);
      check("dW with entropy", w, p.grad("w"), lossH);
      // log-probs and entropies against a direct computation
      double[][] z = h.mmul(w.transpose()).div(temp).toDoubleMatrix();
      for (int r = 0; r < 5; r++) {
        double lse = 0;
        for (double x : z[r]) {
          lse += Math.exp(x);
        }
        lse = Math.log(lse);
        double ent = 0;
        for (double x : z[r]) {
          ent -= Math.exp(x - lse) * (x - lse);
        }
        assertEquals(z[r][targets[r]] - lse, res.logp()[r], 1e-12);
        assertEquals(ent, res.entropy()[r], 1e-12);
      }
      assertEquals(14, LmHead.largestChunk);
    } finally {
      LmHead.chunkElements = saved;
    }
  }
}
