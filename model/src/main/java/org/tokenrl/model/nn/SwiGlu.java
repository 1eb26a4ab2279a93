package org.tokenrl.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The gate of Llama's MLP: {@code h = silu(g) · u} with silu(g) = g·σ(g). Backward: du = dh ·
 * silu(g); dg = dh · u · σ(g) · (1 + g · (1 − σ(g))).
 */
public final class SwiGlu {
  private INDArray g;
  private INDArray u;
  private INDArray sig;

  /** gate [R, F], up [R, F] -> h [R, F]. */
  public INDArray forward(INDArray gate, INDArray up, boolean train) {
    if (!train) {
      INDArray h = Ops.empty(gate.dataType(), gate.shape());
      if (CpuKernels.swiglu(gate, up, h)) {
        return h;
      }
    }
    INDArray s = Transforms.sigmoid(gate, true);
    INDArray h = gate.mul(s).muli(up);
    if (train) {
      g = gate;
      u = up;
      sig = s;
    }
    return h;
  }

  /** Returns {dGate, dUp}. */
  public INDArray[] backward(INDArray dh) {
    INDArray silu = g.mul(sig);
    INDArray dUp = dh.mul(silu);
    // σ(1 + g(1 − σ)) = σ + silu·(1 − σ)
    INDArray dGate = silu.muli(sig.rsub(1)).addi(sig).muli(u).muli(dh);
    g = null;
    u = null;
    sig = null;
    return new INDArray[] {dGate, dUp};
  }
}
