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
    INDArray out = Ops.empty(gate.dataType(), gate.shape());
    INDArray sigmoid = train ? Ops.empty(gate.dataType(), gate.shape()) : null;
    if (CpuKernels.swiglu(gate, up, out, sigmoid)) {
      if (train) {
        g = gate;
        u = up;
        sig = sigmoid;
      }
      return out;
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
    INDArray dGateOut = Ops.empty(dh.dataType(), dh.shape());
    INDArray dUpOut = Ops.empty(dh.dataType(), dh.shape());
    if (CpuKernels.swigluBackward(g, u, sig, dh, dGateOut, dUpOut)) {
      g = null;
      u = null;
      sig = null;
      return new INDArray[] {dGateOut, dUpOut};
    }
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
