package org.tokenrl.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.tokenrl.model.Params;

/**
 * RMSNorm (Llama): {@code y = x / sqrt(mean(x²) + eps) * weight}, no centring, no bias.
 *
 * <p>Backward, with r = 1/sqrt(mean(x²) + eps) and x̂ = x·r: dx = r · (dx̂ − x̂ · mean(dx̂ · x̂))
 * where dx̂ = dy · weight.
 */
public final class RmsNorm {
  private final INDArray weight;
  private final INDArray dWeight;
  private final double eps;
  private INDArray xhat; // [R, d]
  private INDArray rms; // [R, 1] = r

  public RmsNorm(Params p, String name, double eps) {
    weight = p.get(name);
    dWeight = p.grad(name);
    this.eps = eps;
  }

  /** x [R, d] -> y [R, d]. */
  public INDArray forward(INDArray x, boolean train) {
    INDArray y = Ops.empty(x.dataType(), x.shape());
    INDArray xh = train ? Ops.empty(x.dataType(), x.shape()) : null;
    INDArray r = train ? Ops.empty(x.dataType(), x.size(0), 1) : null;
    if (CpuKernels.norm(x, false, weight, null, eps, y, xh, r)) {
      xhat = xh;
      rms = r;
      return y;
    }
    r = Transforms.pow(x.mul(x).mean(true, 1).addi(eps), -0.5, false);
    xh = x.mul(r);
    y = xh.mulRowVector(weight);
    if (train) {
      xhat = xh;
      rms = r;
    }
    return y;
  }

  public INDArray backward(INDArray dy) {
    INDArray out = Ops.empty(dy.dataType(), dy.shape());
    if (CpuKernels.normBackward(dy, false, weight, xhat, rms, dWeight, null, out)) {
      xhat = null;
      rms = null;
      return out;
    }
    if (dWeight != null) { // null: frozen (LoRA)
      dWeight.addi(dy.mul(xhat).sum(0));
    }
    INDArray dxh = dy.mulRowVector(weight);
    INDArray proj = dxh.mul(xhat).mean(true, 1);
    INDArray dx = dxh.subi(xhat.mul(proj)).muli(rms);
    xhat = null;
    rms = null;
    return dx;
  }
}
