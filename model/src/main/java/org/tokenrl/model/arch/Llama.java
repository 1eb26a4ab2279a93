package org.tokenrl.model.arch;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.Params;
import org.tokenrl.model.nn.Attention;
import org.tokenrl.model.nn.Embedding;
import org.tokenrl.model.nn.KvCache;
import org.tokenrl.model.nn.Linear;
import org.tokenrl.model.nn.LoraAdapter;
import org.tokenrl.model.nn.RmsNorm;
import org.tokenrl.model.nn.Rope;
import org.tokenrl.model.nn.Scratch;
import org.tokenrl.model.nn.SwiGlu;

/**
 * The Llama family ({@link LlamaConfig}: Llama 2/3, Mistral, Qwen2, SmolLM2) under Hugging Face's
 * parameter names and [out, in] weight layout. G = num_key_value_heads, H = num_attention_heads, hd
 * = head_dim, F = intermediate_size.
 *
 * <pre>
 *   x = embed_tokens[ids]                                          [R, d]
 *   per layer:  h = input_layernorm(x)                             RMSNorm
 *               q = rope(h·q_projᵀ (+b)) [R, H·hd]
 *               k = rope(h·k_projᵀ (+b)), v = h·v_projᵀ (+b) [R, G·hd]
 *               x += attn(q, k, v)·o_projᵀ                         causal, GQA
 *               h = post_attention_layernorm(x)
 *               x += (silu(h·gate_projᵀ) ⊙ h·up_projᵀ)·down_projᵀ   SwiGLU, [R, F] inside
 *   hidden = norm(x)
 *   logits = hidden · (lm_head or embed_tokens)ᵀ
 * </pre>
 */
public final class Llama implements Transformer {
  private final LlamaConfig cfg;
  private final Params p;
  private final Embedding embed;
  private final Layer[] layers;
  private final RmsNorm norm;
  private final Rope rope;
  private final String head;
  private Rope.Angles angles;
  private Batch prefillBatch; // the batch of a prefill, whose slots the cache keeps
  private int n;
  private int t;

  private static final class Layer {
    final RmsNorm inputNorm;
    final RmsNorm postNorm;
    final Linear q;
    final Linear k;
    final Linear v;
    final Linear o;
    final Linear gate;
    final Linear up;
    final Linear down;
    final Attention attn;
    final SwiGlu swiglu = new SwiGlu();

    Layer(Params p, int i, LlamaConfig c) {
      String b = "model.layers." + i + ".";
      String a = b + "self_attn.";
      inputNorm = new RmsNorm(p, b + "input_layernorm.weight", c.rmsNormEps());
      postNorm = new RmsNorm(p, b + "post_attention_layernorm.weight", c.rmsNormEps());
      q = new Linear(p, a + "q_proj.weight", c.attentionBias() ? a + "q_proj.bias" : null, true);
      k = new Linear(p, a + "k_proj.weight", c.attentionBias() ? a + "k_proj.bias" : null, true);
      v = new Linear(p, a + "v_proj.weight", c.attentionBias() ? a + "v_proj.bias" : null, true);
      o = new Linear(p, a + "o_proj.weight", null, true);
      gate = new Linear(p, b + "mlp.gate_proj.weight", null, true);
      up = new Linear(p, b + "mlp.up_proj.weight", null, true);
      down = new Linear(p, b + "mlp.down_proj.weight", null, true);
      attn = new Attention(c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim());
    }
  }

  public Llama(LlamaConfig cfg, DataType dtype, Long seed) {
    this(cfg, dtype, seed, LoraConfig.NONE, new LoraAdapter.State());
  }

  private java.util.List<LoraAdapter> adapters = java.util.List.of();

  @Override
  public java.util.List<LoraAdapter> adapters() {
    return adapters;
  }

  /**
   * Weights drawn from {@code seed}, or zeros when it is null (weights loaded next). With LoRA,
   * these weights (drawn or imported later) are frozen and only the adapters train.
   */
  public Llama(
      LlamaConfig cfg, DataType dtype, Long seed, LoraConfig lora, LoraAdapter.State loraState) {
    this(cfg, new Params(dtype, seed != null), seed, lora, loraState);
  }

  /**
   * The same over {@code params} (empty; drawing weights or zeros as it was made to, possibly
   * sharing a frozen base with another model), with LoRA adapters drawn from {@code seed}.
   */
  public Llama(
      LlamaConfig cfg, Params params, Long seed, LoraConfig lora, LoraAdapter.State loraState) {
    this.cfg = cfg;
    this.p = params;
    if (lora.enabled()) {
      p.freezeAll(); // before the weights and the layers (they read their gradient buffers once)
    }
    init(seed);
    embed = new Embedding(p, "model.embed_tokens.weight");
    layers = new Layer[cfg.numHiddenLayers()];
    for (int i = 0; i < layers.length; i++) {
      layers[i] = new Layer(p, i, cfg);
    }
    norm = new RmsNorm(p, "model.norm.weight", cfg.rmsNormEps());
    rope = new Rope(cfg.headDim(), cfg.ropeTheta(), p.dtype);
    head = cfg.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
    if (lora.enabled()) {
      java.util.LinkedHashMap<String, Linear> linears = new java.util.LinkedHashMap<>();
      for (int i = 0; i < layers.length; i++) {
        String b = "model.layers." + i + ".";
        Layer l = layers[i];
        linears.put(b + "self_attn.q_proj", l.q);
        linears.put(b + "self_attn.k_proj", l.k);
        linears.put(b + "self_attn.v_proj", l.v);
        linears.put(b + "self_attn.o_proj", l.o);
        linears.put(b + "mlp.gate_proj", l.gate);
        linears.put(b + "mlp.up_proj", l.up);
        linears.put(b + "mlp.down_proj", l.down);
      }
      adapters = LoraAdapter.attachAll(p, lora, loraState, seed == null ? 0 : seed, linears);
    }
  }

  /** HF's init: normal(0, 0.02) matrices, unit norms, zero biases (random weights until loaded). */
  private void init(Long seed) {
    Random rng = new Random(seed == null ? 0 : seed);
    long d = cfg.hiddenSize();
    long q = (long) cfg.numAttentionHeads() * cfg.headDim();
    long kv = (long) cfg.numKeyValueHeads() * cfg.headDim();
    long f = cfg.intermediateSize();
    double std = 0.02;
    p.gaussian("model.embed_tokens.weight", rng, std, cfg.vocabSize(), d);
    for (int i = 0; i < cfg.numHiddenLayers(); i++) {
      String b = "model.layers." + i + ".";
      String a = b + "self_attn.";
      p.gaussian(a + "q_proj.weight", rng, std, q, d);
      p.gaussian(a + "k_proj.weight", rng, std, kv, d);
      p.gaussian(a + "v_proj.weight", rng, std, kv, d);
      if (cfg.attentionBias()) {
        p.constant(a + "q_proj.bias", 0.0, q);
        p.constant(a + "k_proj.bias", 0.0, kv);
        p.constant(a + "v_proj.bias", 0.0, kv);
      }
      p.gaussian(a + "o_proj.weight", rng, std, d, q);
      p.gaussian(b + "mlp.gate_proj.weight", rng, std, f, d);
      p.gaussian(b + "mlp.up_proj.weight", rng, std, f, d);
      p.gaussian(b + "mlp.down_proj.weight", rng, std, d, f);
      p.constant(b + "input_layernorm.weight", 1.0, d);
      p.constant(b + "post_attention_layernorm.weight", 1.0, d);
    }
    p.constant("model.norm.weight", 1.0, d);
    if (!cfg.tieWordEmbeddings()) {
      p.gaussian("lm_head.weight", rng, std, cfg.vocabSize(), d);
    }
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
    return p.get(head);
  }

  @Override
  public INDArray headGrad() {
    return p.grad(head);
  }

  @Override
  public INDArray forward(Batch batch, boolean train) {
    return forward(batch, train, null);
  }

  /**
   * Without {@code train}, each layer runs in a child arena (only the residual stream [R, d]
   * survives it), so scoring and prefill hold one layer's temporaries, not all 30 layers'.
   */
  private INDArray forward(Batch batch, boolean train, KvCache prefill) {
    prefillBatch = batch;
    n = batch.rows;
    t = batch.slots;
    INDArray mask = batch.mask(p.dtype); // [N, 1, T, T]
    angles = rope.angles(batch.positions);
    INDArray x = embed.forward(batch.ids, train); // [R, d]
    for (int i = 0; i < layers.length; i++) {
      if (train) {
        x = layerForward(layers[i], x, mask, true);
      } else {
        INDArray xIn = x;
        int layer = i;
        x = Scratch.inChild(x, () -> inferenceLayer(layer, xIn, mask, prefill));
      }
    }
    return norm.forward(x, train);
  }

  /** Layer i without training state; a prefill also copies its keys and values into the cache. */
  private INDArray inferenceLayer(int i, INDArray x, INDArray mask, KvCache prefill) {
    Layer l = layers[i];
    INDArray out = layerForward(l, x, mask, false);
    if (prefill != null) {
      prefill.storePrompts(i, l.attn.keys(), l.attn.values(), prefillBatch);
    }
    return out;
  }

  /** The residual stream after layer l, [R, d]. */
  private INDArray layerForward(Layer l, INDArray x, INDArray mask, boolean train) {
    INDArray h = l.inputNorm.forward(x, train);
    INDArray q = rope.forward(l.q.forward(h, train), angles); // [R, H·hd]
    INDArray k = rope.forward(l.k.forward(h, train), angles); // [R, G·hd]
    INDArray a = l.attn.forward(q, k, l.v.forward(h, train), mask, n, t);
    INDArray mid = x.add(l.o.forward(a, train));
    INDArray h2 = l.postNorm.forward(mid, train);
    INDArray m = l.swiglu.forward(l.gate.forward(h2, train), l.up.forward(h2, train), train);
    return mid.addi(l.down.forward(m, train));
  }

  @Override
  public void backward(INDArray dHidden) {
    INDArray dx = norm.backward(dHidden); // [R, d]
    for (int i = layers.length - 1; i >= 0; i--) {
      Layer l = layers[i];
      INDArray dxOut = dx;
      dx = Scratch.inChild(dxOut, () -> layerBackward(l, dxOut));
    }
    embed.backward(dx);
    angles = null;
  }

  /** dL/dx after layer l [R, d] -> dL/dx before it; adds the layer's parameter gradients. */
  private INDArray layerBackward(Layer l, INDArray dx) {
    INDArray[] dgu = l.swiglu.backward(l.down.backward(dx));
    INDArray dh2 = l.gate.backward(dgu[0]).addi(l.up.backward(dgu[1]));
    INDArray dMid = dx.add(l.postNorm.backward(dh2));
    INDArray[] dqkv = l.attn.backward(l.o.backward(dMid), n, t);
    INDArray dh =
        l.q
            .backward(rope.backward(dqkv[0], angles))
            .addi(l.k.backward(rope.backward(dqkv[1], angles)))
            .addi(l.v.backward(dqkv[2]));
    return dMid.addi(l.inputNorm.backward(dh));
  }

  @Override
  public KvCache newCache(int[] blockOf, int capacity) {
    return new KvCache(
        layers.length,
        cfg.numKeyValueHeads(),
        cfg.headDim(),
        blockOf,
        capacity,
        params().dtype == org.nd4j.linalg.api.buffer.DataType.FLOAT);
  }

  @Override
  public INDArray prefill(Batch prompts, KvCache cache) {
    INDArray hidden = forward(prompts, false, cache);
    cache.prefilled(prompts);
    return hidden;
  }

  @Override
  public INDArray decode(int[] tokens, int[] positions, KvCache cache) {
    Rope.Angles step = rope.angles(positions);
    INDArray x = embed.forward(tokens, false); // [B, d]
    for (int i = 0; i < layers.length; i++) {
      Layer l = layers[i];
      INDArray h = l.inputNorm.forward(x, false);
      INDArray k = rope.forward(l.k.forward(h, false), step);
      cache.write(i, k, l.v.forward(h, false));
      INDArray q = rope.forward(l.q.forward(h, false), step);
      INDArray a = l.attn.decode(q, cache, i);
      x = x.add(l.o.forward(a, false));
      INDArray h2 = l.postNorm.forward(x, false);
      INDArray m = l.swiglu.forward(l.gate.forward(h2, false), l.up.forward(h2, false), false);
      x = x.add(l.down.forward(m, false));
    }
    cache.advance();
    return norm.forward(x, false);
  }
}
