package org.tokenrl.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The two SameDiff graphs of a {@link Policy}, built once and sharing the same parameter arrays
 * (parameters are only ever updated in place, so both graphs always see the current weights).
 *
 * <p>Full graph, over N rows of T slots flattened to NT rows (the residual stream stays 2-D so
 * every projection is one plain GEMM). Placeholders:
 *
 * <ul>
 *   <li>{@code tokens} [NT, V] one-hot input ids (the embedding is one-hot x matrix: a gather's
 *       gradient is broken or very slow in SameDiff 1.0.0-M2.1)
 *   <li>{@code positions} [NT, S] one-hot position ids
 *   <li>{@code attnMask} [N, 1, T, T] additive attention mask (0 or {@link #MASKED}): causal plus
 *       padding, so rows may be left- or right-padded
 *   <li>{@code headShape} int64 [4] = {N, T, H, hd} (T changes between calls)
 *   <li>{@code invTemp} scalar 1/temperature
 *   <li>{@code targets} [NT, V] one-hot next token (all-zero rows where nothing is scored)
 *   <li>{@code coef} [NT, V] loss coefficients: loss = sum(coef * logp)
 * </ul>
 *
 * Outputs: {@code logits} [NT, V], {@code logp} [NT, V] (log-softmax of logits/temperature), {@code
 * tokLogp} [NT], {@code entropy} [NT], {@code loss} scalar, and per layer {@code k_l}, {@code v_l}
 * [N, T, H, hd] for prefilling the KV cache.
 *
 * <p>Decode graph: one new token per row, with the per-layer caches {@code kCache_l}, {@code
 * vCache_l} [B, C, H, hd] as placeholders, {@code attnMask} [B, C+1, 1], {@code headShape} = {B, 1,
 * H, hd}; outputs {@code logits}, {@code logp} [B, V], {@code entropy} [B] and the grown caches
 * {@code kOut_l}, {@code vOut_l} [B, C+1, H, hd].
 */
final class TransformerGraph {
  /** Additive mask value of a slot that must not be attended to (finite: no NaN rows). */
  static final float MASKED = -1e9f;

  final ModelConfig cfg;
  final DataType dtype;

  /** Parameters in a stable order; the arrays are shared by both graphs. */
  final LinkedHashMap<String, INDArray> params = new LinkedHashMap<>();

  final SameDiff full;
  final SameDiff decode;

  TransformerGraph(ModelConfig cfg, DataType dtype, long seed) {
    this.cfg = cfg;
    this.dtype = dtype;
    initParams(seed);
    full = SameDiff.create();
    buildFull(full);
    decode = SameDiff.create();
    buildDecode(decode);
  }

  /** Names of parameters that get AdamW weight decay: the matrices. */
  boolean decays(String name) {
    return params.get(name).rank() == 2;
  }

  // ---------------------------------------------------------------- parameters

  /**
   * GPT-2 style init drawn from one java.util.Random: the same seed gives bit-identical weights in
   * any JVM. Residual output projections are scaled by 1/sqrt(2 * layers).
   */
  private void initParams(long seed) {
    Random rng = new Random(seed);
    int d = cfg.dModel();
    double residualStd = 0.02 / Math.sqrt(2.0 * cfg.layers());
    gaussian("wte", rng, 0.02, cfg.vocabSize(), d);
    gaussian("wpe", rng, 0.02, cfg.maxSeqLen(), d);
    for (int l = 0; l < cfg.layers(); l++) {
      String b = "blocks." + l + ".";
      constant(b + "ln1.gain", 1.0, d);
      constant(b + "ln1.bias", 0.0, d);
      gaussian(b + "attn.wq", rng, 0.02, d, d);
      gaussian(b + "attn.wk", rng, 0.02, d, d);
      gaussian(b + "attn.wv", rng, 0.02, d, d);
      gaussian(b + "attn.wo", rng, residualStd, d, d);
      constant(b + "ln2.gain", 1.0, d);
      constant(b + "ln2.bias", 0.0, d);
      gaussian(b + "mlp.w1", rng, 0.02, d, cfg.dFF());
      gaussian(b + "mlp.w2", rng, residualStd, cfg.dFF(), d);
    }
    constant("lnf.gain", 1.0, d);
    constant("lnf.bias", 0.0, d);
  }

  private void gaussian(String name, Random rng, double std, long... shape) {
    double[] values = new double[(int) (shape[0] * (shape.length > 1 ? shape[1] : 1))];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (std * rng.nextGaussian());
    }
    params.put(name, Nd4j.create(values, shape, DataType.DOUBLE).castTo(dtype));
  }

  private void constant(String name, double value, long... shape) {
    params.put(name, Nd4j.valueArrayOf(shape, value, dtype));
  }

  // ---------------------------------------------------------------- graphs

  private Map<String, SDVariable> declareParams(SameDiff sd) {
    Map<String, SDVariable> p = new LinkedHashMap<>();
    // sd.var(name, arr) keeps the given array (no copy): both graphs hold the same INDArrays.
    params.forEach((name, arr) -> p.put(name, sd.var(name, arr)));
    return p;
  }

  private void buildFull(SameDiff sd) {
    int v = cfg.vocabSize();
    int d = cfg.dModel();
    Map<String, SDVariable> p = declareParams(sd);
    SDVariable tokens = sd.placeHolder("tokens", dtype, -1, v); // [NT, V]
    SDVariable positions = sd.placeHolder("positions", dtype, -1, cfg.maxSeqLen()); // [NT, S]
    SDVariable mask = sd.placeHolder("attnMask", dtype, -1, 1, -1, -1); // [N, 1, T, T]
    SDVariable headShape = sd.placeHolder("headShape", DataType.INT64, 4); // {N, T, H, hd}
    SDVariable invTemp = sd.placeHolder("invTemp", dtype); // scalar
    SDVariable targets = sd.placeHolder("targets", dtype, -1, v); // [NT, V]
    SDVariable coef = sd.placeHolder("coef", dtype, -1, v); // [NT, V]

    SDVariable x = tokens.mmul(p.get("wte")).add(positions.mmul(p.get("wpe"))); // [NT, d]
    for (int l = 0; l < cfg.layers(); l++) {
      String b = "blocks." + l + ".";
      SDVariable h = sd.nn.layerNorm(x, p.get(b + "ln1.gain"), p.get(b + "ln1.bias"), false, 1);
      SDVariable q = heads(sd, h.mmul(p.get(b + "attn.wq")), headShape); // [N, H, T, hd]
      // K/V in the cache layout [N, T, H, hd] are outputs for prefilling the decode graph
      SDVariable kRows = sd.reshape(h.mmul(p.get(b + "attn.wk")), headShape).rename("k_" + l);
      SDVariable vRows = sd.reshape(h.mmul(p.get(b + "attn.wv")), headShape).rename("v_" + l);
      SDVariable k = sd.permute(kRows, 0, 2, 1, 3); // [N, H, T, hd]
      SDVariable val = sd.permute(vRows, 0, 2, 1, 3);
      SDVariable att = attention(sd, q, k, val, mask); // [NT, d]
      x = x.add(att.mmul(p.get(b + "attn.wo")));
      x = x.add(mlp(sd, x, p, b));
    }
    head(sd, x, p, invTemp);
    SDVariable logp = sd.getVariable("logp");
    sd.sum(targets.mul(logp), 1).rename("tokLogp"); // [NT]
    sd.sum(coef.mul(logp)).rename("loss"); // scalar
    sd.setLossVariables("loss");
  }

  private void buildDecode(SameDiff sd) {
    int v = cfg.vocabSize();
    Map<String, SDVariable> p = declareParams(sd);
    SDVariable tokens = sd.placeHolder("tokens", dtype, -1, v); // [B, V]
    SDVariable positions = sd.placeHolder("positions", dtype, -1, cfg.maxSeqLen()); // [B, S]
    SDVariable mask = sd.placeHolder("attnMask", dtype, -1, -1, 1); // [B, C+1, 1]
    SDVariable headShape = sd.placeHolder("headShape", DataType.INT64, 4); // {B, 1, H, hd}
    SDVariable invTemp = sd.placeHolder("invTemp", dtype);
    int h = cfg.heads();
    int hd = cfg.headDim();

    SDVariable x = tokens.mmul(p.get("wte")).add(positions.mmul(p.get("wpe"))); // [B, d]
    double scale = 1.0 / Math.sqrt(hd);
    for (int l = 0; l < cfg.layers(); l++) {
      String b = "blocks." + l + ".";
      // The cache keeps the [B, C, H, hd] layout: no permutes per step, and with a single query
      // the attention is a broadcast multiply + reduction rather than B*H tiny matmuls.
      SDVariable kCache = sd.placeHolder("kCache_" + l, dtype, -1, -1, h, hd); // [B, C, H, hd]
      SDVariable vCache = sd.placeHolder("vCache_" + l, dtype, -1, -1, h, hd);
      SDVariable hn = sd.nn.layerNorm(x, p.get(b + "ln1.gain"), p.get(b + "ln1.bias"), false, 1);
      SDVariable q = sd.reshape(hn.mmul(p.get(b + "attn.wq")), headShape); // [B, 1, H, hd]
      SDVariable k = sd.reshape(hn.mmul(p.get(b + "attn.wk")), headShape);
      SDVariable val = sd.reshape(hn.mmul(p.get(b + "attn.wv")), headShape);
      SDVariable kAll = sd.concat("kOut_" + l, 1, kCache, k); // [B, C+1, H, hd]
      SDVariable vAll = sd.concat("vOut_" + l, 1, vCache, val);
      SDVariable scores = sd.sum(q.mul(kAll), 3).mul(scale).add(mask); // [B, C+1, H]
      SDVariable probs = sd.nn.softmax(scores, 1);
      SDVariable out = sd.sum(sd.expandDims(probs, 3).mul(vAll), 1); // [B, H, hd]
      SDVariable att = sd.reshape(out, -1, cfg.dModel()); // [B, d]
      x = x.add(att.mmul(p.get(b + "attn.wo")));
      x = x.add(mlp(sd, x, p, b));
    }
    head(sd, x, p, invTemp);
  }

  /** [rows, d] -> [N, H, T, hd]. */
  private static SDVariable heads(SameDiff sd, SDVariable x, SDVariable headShape) {
    return sd.permute(sd.reshape(x, headShape), 0, 2, 1, 3);
  }

  /** Scaled dot-product attention; returns the heads merged back to [rows, d]. */
  private SDVariable attention(
      SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable mask) {
    double scale = 1.0 / Math.sqrt(cfg.headDim());
    SDVariable scores = sd.mmul(q, k, false, true, false).mul(scale).add(mask); // [N, H, Tq, Tk]
    SDVariable probs = sd.nn.softmax(scores, -1);
    SDVariable out = sd.mmul(probs, v); // [N, H, Tq, hd]
    return sd.reshape(sd.permute(out, 0, 2, 1, 3), -1, cfg.dModel()); // [N*Tq, d]
  }

  private static SDVariable mlp(SameDiff sd, SDVariable x, Map<String, SDVariable> p, String b) {
    SDVariable h = sd.nn.layerNorm(x, p.get(b + "ln2.gain"), p.get(b + "ln2.bias"), false, 1);
    return sd.nn.gelu(h.mmul(p.get(b + "mlp.w1"))).mmul(p.get(b + "mlp.w2"));
  }

  /**
   * Final LayerNorm, tied LM head and a hand-written log-softmax (SameDiff's logSoftmax has no
   * working gradient in this release). Defines {@code logits}, {@code logp}, {@code entropy}.
   */
  private static void head(
      SameDiff sd, SDVariable x, Map<String, SDVariable> p, SDVariable invTemp) {
    SDVariable hf = sd.nn.layerNorm(x, p.get("lnf.gain"), p.get("lnf.bias"), false, 1);
    SDVariable logits = sd.mmul(hf, p.get("wte"), false, true, false).rename("logits"); // [R, V]
    SDVariable z = logits.mul(invTemp);
    SDVariable shifted = z.sub(sd.max(z, true, 1));
    SDVariable lse = sd.math.log(sd.sum(sd.math.exp(shifted), true, 1)); // [R, 1]
    SDVariable logp = shifted.sub(lse).rename("logp"); // [R, V]
    sd.sum(sd.math.exp(logp).mul(logp), 1).neg().rename("entropy"); // [R]
  }

  /** Names of the per-layer K/V outputs of the full graph, in layer order (k then v). */
  List<String> prefillCacheOutputs() {
    List<String> names = new ArrayList<>();
    for (int l = 0; l < cfg.layers(); l++) {
      names.add("k_" + l);
      names.add("v_" + l);
    }
    return Collections.unmodifiableList(names);
  }
}
