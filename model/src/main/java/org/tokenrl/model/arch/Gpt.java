package org.tokenrl.model.arch;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.Params;
import org.tokenrl.model.nn.Attention;
import org.tokenrl.model.nn.Embedding;
import org.tokenrl.model.nn.Gelu;
import org.tokenrl.model.nn.KvCache;
import org.tokenrl.model.nn.LayerNorm;
import org.tokenrl.model.nn.Linear;
import org.tokenrl.model.nn.LoraAdapter;

/**
 * The from-scratch GPT ({@link GptConfig}): token embedding tied with the LM head, learned
 * positions, pre-LayerNorm blocks of causal multi-head attention and a GELU MLP, linears without
 * biases, a final LayerNorm. Weights are [in, out] ({@code x · W}) under their historic names, so
 * checkpoints written before this engine still load.
 *
 * <pre>
 *   x = wte[ids] + wpe[pos]                               [R, d]
 *   per block:  h = ln1(x);  x += attn(h·wq, h·wk, h·wv)·wo
 *               x += gelu(ln2(x)·w1)·w2                   w1 [d, F], w2 [F, d]
 *   hidden = lnf(x)                                       logits = hidden · wteᵀ (LmHead)
 * </pre>
 */
public final class Gpt implements Transformer {
  private final GptConfig cfg;
  private final Params p;
  private final Embedding wte;
  private final Embedding wpe;
  private final Block[] blocks;
  private final LayerNorm lnf;
  private int n;
  private int t;

  /** One block's layers; they keep their own activations between forward and backward. */
  private static final class Block {
    final LayerNorm ln1;
    final LayerNorm ln2;
    final Linear wq;
    final Linear wk;
    final Linear wv;
    final Linear wo;
    final Linear w1;
    final Linear w2;
    final Attention attn;
    final Gelu gelu = new Gelu();

    Block(Params p, String b, GptConfig cfg) {
      ln1 = new LayerNorm(p, b + "ln1.");
      ln2 = new LayerNorm(p, b + "ln2.");
      wq = new Linear(p, b + "attn.wq", null, false);
      wk = new Linear(p, b + "attn.wk", null, false);
      wv = new Linear(p, b + "attn.wv", null, false);
      wo = new Linear(p, b + "attn.wo", null, false);
      w1 = new Linear(p, b + "mlp.w1", null, false);
      w2 = new Linear(p, b + "mlp.w2", null, false);
      attn = new Attention(cfg.heads(), cfg.heads(), cfg.headDim());
    }
  }

  public Gpt(GptConfig cfg, org.nd4j.linalg.api.buffer.DataType dtype, Long seed) {
    this(cfg, dtype, seed, LoraConfig.NONE, new LoraAdapter.State());
  }

  private java.util.List<LoraAdapter> adapters = java.util.List.of();

  @Override
  public java.util.List<LoraAdapter> adapters() {
    return adapters;
  }

  /**
   * Weights drawn from {@code seed}, or zeros when it is null (weights loaded next). With LoRA
   * (targets wq, wk, wv, wo, w1, w2), these weights are frozen and only the adapters train.
   */
  public Gpt(
      GptConfig cfg,
      org.nd4j.linalg.api.buffer.DataType dtype,
      Long seed,
      LoraConfig lora,
      LoraAdapter.State loraState) {
    this(cfg, new Params(dtype, seed != null), seed, lora, loraState);
  }

  /**
   * The same over {@code params} (empty; drawing weights or zeros as it was made to, possibly
   * sharing a frozen base with another model), with LoRA adapters drawn from {@code seed}.
   */
  public Gpt(
      GptConfig cfg, Params params, Long seed, LoraConfig lora, LoraAdapter.State loraState) {
    this.cfg = cfg;
    this.p = params;
    if (lora.enabled()) {
      p.freezeAll(); // before the weights and the layers (they read their gradient buffers once)
    }
    init(seed);
    wte = new Embedding(p, "wte");
    wpe = new Embedding(p, "wpe");
    blocks = new Block[cfg.layers()];
    for (int l = 0; l < blocks.length; l++) {
      blocks[l] = new Block(p, "blocks." + l + ".", cfg);
    }
    lnf = new LayerNorm(p, "lnf.");
    if (lora.enabled()) {
      java.util.LinkedHashMap<String, Linear> linears = new java.util.LinkedHashMap<>();
      for (int l = 0; l < blocks.length; l++) {
        String b = "blocks." + l + ".";
        linears.put(b + "attn.wq", blocks[l].wq);
        linears.put(b + "attn.wk", blocks[l].wk);
        linears.put(b + "attn.wv", blocks[l].wv);
        linears.put(b + "attn.wo", blocks[l].wo);
        linears.put(b + "mlp.w1", blocks[l].w1);
        linears.put(b + "mlp.w2", blocks[l].w2);
      }
      adapters = LoraAdapter.attachAll(p, lora, loraState, seed == null ? 0 : seed, linears);
    }
  }

  /** GPT-2 style init; residual output projections scaled by 1/sqrt(2·layers). */
  private void init(Long seed) {
    Random rng = new Random(seed == null ? 0 : seed);
    int d = cfg.dModel();
    double residualStd = 0.02 / Math.sqrt(2.0 * cfg.layers());
    p.gaussian("wte", rng, 0.02, cfg.vocabSize(), d);
    p.gaussian("wpe", rng, 0.02, cfg.maxSeqLen(), d);
    for (int l = 0; l < cfg.layers(); l++) {
      String b = "blocks." + l + ".";
      p.constant(b + "ln1.gain", 1.0, d);
      p.constant(b + "ln1.bias", 0.0, d);
      p.gaussian(b + "attn.wq", rng, 0.02, d, d);
      p.gaussian(b + "attn.wk", rng, 0.02, d, d);
      p.gaussian(b + "attn.wv", rng, 0.02, d, d);
      p.gaussian(b + "attn.wo", rng, residualStd, d, d);
      p.constant(b + "ln2.gain", 1.0, d);
      p.constant(b + "ln2.bias", 0.0, d);
      p.gaussian(b + "mlp.w1", rng, 0.02, d, cfg.dFF());
      p.gaussian(b + "mlp.w2", rng, residualStd, cfg.dFF(), d);
    }
    p.constant("lnf.gain", 1.0, d);
    p.constant("lnf.bias", 0.0, d);
  }

  @Override
  public ModelSpec spec() {
    return cfg;
  }

  @Override
  public Params params() {
    return p;
  }

  @Override
  public INDArray headWeight() {
    return p.get("wte");
  }

  @Override
  public INDArray headGrad() {
    return p.grad("wte");
  }

  @Override
  public INDArray forward(Batch batch, boolean train) {
    n = batch.rows;
    t = batch.slots;
    INDArray mask = batch.mask(p.dtype); // [N, 1, T, T]
    INDArray x = wte.forward(batch.ids, train).addi(wpe.forward(batch.positions, train)); // [R, d]
    for (Block b : blocks) {
      INDArray h = b.ln1.forward(x, train);
      INDArray a =
          b.attn.forward(
              b.wq.forward(h, train), b.wk.forward(h, train), b.wv.forward(h, train), mask, n, t);
      x = x.add(b.wo.forward(a, train));
      INDArray u = b.w1.forward(b.ln2.forward(x, train), train); // [R, F]
      x = x.add(b.w2.forward(b.gelu.forward(u, train), train));
    }
    return lnf.forward(x, train);
  }

  @Override
  public void backward(INDArray dHidden) {
    INDArray dx = lnf.backward(dHidden); // dL/dx of the residual stream, [R, d]
    for (int l = blocks.length - 1; l >= 0; l--) {
      Block b = blocks[l];
      INDArray du = b.gelu.backward(b.w2.backward(dx));
      dx = dx.add(b.ln2.backward(b.w1.backward(du)));
      INDArray[] dqkv = b.attn.backward(b.wo.backward(dx), n, t);
      INDArray dh =
          b.wq.backward(dqkv[0]).addi(b.wk.backward(dqkv[1])).addi(b.wv.backward(dqkv[2]));
      dx = dx.add(b.ln1.backward(dh));
    }
    wte.backward(dx);
    wpe.backward(dx);
  }

  @Override
  public KvCache newCache(int[] blockOf, int capacity) {
    return new KvCache(
        cfg.layers(),
        cfg.heads(),
        cfg.headDim(),
        blockOf,
        capacity,
        params().dtype == org.nd4j.linalg.api.buffer.DataType.FLOAT);
  }

  @Override
  public INDArray prefill(Batch prompts, KvCache cache) {
    INDArray hidden = forward(prompts, false);
    for (int l = 0; l < blocks.length; l++) {
      cache.storePrompts(l, blocks[l].attn.keys(), blocks[l].attn.values(), prompts);
    }
    cache.prefilled(prompts);
    return hidden;
  }

  @Override
  public INDArray decode(int[] tokens, int[] positions, KvCache cache) {
    INDArray x = wte.forward(tokens, false).addi(wpe.forward(positions, false)); // [B, d]
    for (int l = 0; l < blocks.length; l++) {
      Block b = blocks[l];
      INDArray h = b.ln1.forward(x, false);
      cache.write(l, b.wk.forward(h, false), b.wv.forward(h, false));
      INDArray a = b.attn.decode(b.wq.forward(h, false), cache, l);
      x = x.add(b.wo.forward(a, false));
      INDArray u = b.w1.forward(b.ln2.forward(x, false), false);
      x = x.add(b.w2.forward(b.gelu.forward(u, false), false));
    }
    cache.advance();
    return lnf.forward(x, false);
  }
}
