package org.tokenrl.model.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.Params;

/**
 * The adapter beside one frozen linear layer: {@code Δy = s · dropout(x) · Aᵀ · Bᵀ}, s = alpha /
 * rank, A [r, in] and B [out, r] trainable parameters named as PEFT names them ({@code
 * <module>.lora_A.weight}, {@code <module>.lora_B.weight}). Initialised as PEFT does: A
 * kaiming-uniform (bound 1/sqrt(in)), B zero, so a fresh adapter leaves the model unchanged.
 */
public final class LoraAdapter {
  /** Shared by all adapters of one model: on/off (reference scoring) and the dropout stream. */
  public static final class State {
    public boolean enabled = true;
    public long dropoutStep;
    public int pass; // which pass of the step: each pass of a split batch draws its own masks
  }

  public final String module;
  public final Linear target;
  private final INDArray a; // [r, in]
  private final INDArray da;
  private final INDArray b; // [out, r]
  private final INDArray db;
  private final double scaling;
  private final double dropout;
  private final int index;
  private final State state;
  private INDArray in; // dropout(x) [R, in], kept for backward
  private INDArray xa; // s · in · Aᵀ [R, r]
  private INDArray mask; // keep/(1-p) [R, in], or null
  private boolean used; // whether the last training forward pass went through the adapter

  private LoraAdapter(
      Params p, String module, Linear target, LoraConfig cfg, State state, int index, Random rng) {
    this.module = module;
    this.target = target;
    this.scaling = cfg.scaling();
    this.dropout = cfg.dropout();
    this.index = index;
    this.state = state;
    int r = cfg.rank();
    long inF = target.inFeatures();
    long outF = target.outFeatures();
    float[] init = new float[Math.toIntExact(r * inF)];
    double bound = 1.0 / Math.sqrt(inF); // kaiming_uniform_(a=sqrt(5)): sqrt(6 / (6 · fan_in))
    for (int i = 0; i < init.length; i++) {
      init[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
    }
    this.a = p.put(module + ".lora_A.weight", Tensors.array(init, p.dtype, r, inF));
    this.b = p.put(module + ".lora_B.weight", Nd4j.zeros(p.dtype, outF, r));
    this.da = p.grad(module + ".lora_A.weight");
    this.db = p.grad(module + ".lora_B.weight");
  }

  /**
   * Freezes everything {@code p} holds so far, then adds an adapter to each targeted linear ({@code
   * linears}: module path to layer, in model order). Adapter values depend on {@code seed} only.
   */
  public static List<LoraAdapter> attachAll(
      Params p, LoraConfig cfg, State state, long seed, Map<String, Linear> linears) {
    List<LoraAdapter> out = new ArrayList<>();
    if (!cfg.enabled()) {
      return out;
    }
    p.freezeAll(); // idempotent; the model froze its base before building layers
    Random rng = new Random(seed ^ 0x4C6F5241L);
    for (Map.Entry<String, Linear> e : linears.entrySet()) {
      if (cfg.targets(e.getKey())) {
        LoraAdapter ad = new LoraAdapter(p, e.getKey(), e.getValue(), cfg, state, out.size(), rng);
        e.getValue().attach(ad);
        out.add(ad);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "model.lora.targets "
              + cfg.targets()
              + " match no linear layer of the model (its"
              + " modules end in "
              + lastSegments(linears)
              + ")");
    }
    return out;
  }

  private static List<String> lastSegments(Map<String, Linear> linears) {
    return linears.keySet().stream()
        .map(m -> m.substring(m.lastIndexOf('.') + 1))
        .distinct()
        .toList();
  }

  /**
   * y [R, out] += s · dropout(x) · Aᵀ · Bᵀ for x [R, in]; nothing while adapters are off. The
   * product accumulates into y (BLAS beta = 1) instead of returning an [R, out] array to add: a
   * training pass keeps every layer's temporaries until its backward, and those arrays were a
   * quarter of the update's arena (experiments/bench/README.md).
   */
  void addForward(INDArray x, INDArray y, boolean train) {
    used = train && state.enabled;
    if (!state.enabled) {
      return;
    }
    INDArray input = x;
    mask = null;
    if (train && dropout > 0) {
      mask = dropoutMask(x.rows(), x.columns());
      input = x.mul(mask);
    }
    INDArray h = Ops.mm(input, false, a, true).muli(scaling); // s · in · Aᵀ [R, r]
    Ops.gemm(h, false, b, true, y, 1.0); // y += h · Bᵀ
    in = train ? input : null;
    xa = train ? h : null;
  }

  /** dy [R, out]: dx [R, in] += the adapter's share; adds dA, dB. Nothing when it was off. */
  void addBackward(INDArray dy, INDArray dx) {
    if (!used) {
      return;
    }
    Ops.gemm(dy, true, xa, false, db, 1.0); // dB [out, r] += dyᵀ · (s · in · Aᵀ)
    INDArray dxa = Ops.mm(dy, false, b, false).muli(scaling); // [R, r]
    Ops.gemm(dxa, true, in, false, da, 1.0); // dA [r, in] += dxaᵀ · in
    if (mask == null) {
      Ops.gemm(dxa, false, a, false, dx, 1.0); // dx += dxa · A
    } else {
      dx.addi(Ops.mm(dxa, false, a, false).muli(mask));
    }
    in = null;
    xa = null;
    mask = null;
    used = false;
  }

  /** Inverted dropout: keep with 1-p, scaled by 1/(1-p); seeded by (optimizer step, adapter). */
  private INDArray dropoutMask(long rows, long cols) {
    SplittableRandom rng =
        new SplittableRandom(
            state.dropoutStep * 1_000_003L + index + state.pass * 0x9E3779B97F4A7C15L);
    float keep = (float) (1.0 / (1.0 - dropout));
    float[] m = new float[Math.toIntExact(rows * cols)];
    for (int i = 0; i < m.length; i++) {
      m[i] = rng.nextDouble() < dropout ? 0f : keep;
    }
    return Tensors.array(m, a.dataType(), rows, cols);
  }

  /** s · B · A [out, in]: what merging adds to the weight (in HF's [out, in] layout). */
  public INDArray delta() {
    return Ops.mm(b, false, a, false).muli(scaling);
  }

  public INDArray a() {
    return a;
  }

  public INDArray b() {
    return b;
  }
}
