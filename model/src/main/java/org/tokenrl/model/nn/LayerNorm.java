package org.tokenrl.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.tokenrl.model.Params;

/**
 * LayerNorm over the last dimension: {@code y = (x - mean) / sqrt(var + eps) * gain + bias}.
 *
 * <p>Backward, with x̂ the normalised input and r = 1/sqrt(var + eps): dx = r · (dx̂ − mean(dx̂) −
 * x̂ · mean(dx̂ · x̂)) where dx̂ = dy · gain.
 */
public final class LayerNorm {
  static final double EPS = 1e-5;
  private final INDArray gain;
  private final INDArray bias;
  private final INDArray dGain;
  private final INDArray dBias;
  private INDArray xhat; // [R, d]
  private INDArray rstd; // [R, 1]

  public LayerNorm(Params p, String prefix) {
    gain = p.get(prefix + "gain");
    bias = p.get(prefix + "bias");
    dGain = p.grad(prefix + "gain");
    dBias = p.grad(prefix + "bias");
  }

  /** x [R, d] -> y [R, d]. */
  public INDArray forward(INDArray x, boolean train) {
    INDArray y = Ops.empty(x.dataType(), x.shape());
    INDArray xh = train ? Ops.empty(x.dataType(), x.shape()) : null;
    INDArray r = train ? Ops.empty(x.dataType(), x.size(0), 1) : null;
    if (CpuKernels.norm(x, true, gain, bias, EPS, y, xh, r)) {
      xhat = xh;
      rstd = r;
      return y;
    }
    INDArray xc = x.sub(x.mean(true, 1));
    r = Transforms.pow(xc.mul(xc).mean(true, 1).addi(EPS), -0.5, false);
    xh = xc.muli(r);
    y = xh.mulRowVector(gain).addiRowVector(bias);
    if (train) {
      xhat = xh;
      rstd = r;
    }
    return y;
  }

  public INDArray backward(INDArray dy) {
    INDArray out = Ops.empty(dy.dataType(), dy.shape());
    if (CpuKernels.normBackward(dy, true, gain, xhat, rstd, dGain, dBias, out)) {
      xhat = null;
      rstd = null;
      return out;
    }
    if (dGain != null) { // null: frozen (LoRA)
      dGain.addi(dy.mul(xhat).sum(0));
      dBias.addi(dy.sum(0));
    }
    INDArray dxh = dy.mulRowVector(gain);
    INDArray proj = dxh.mul(xhat).mean(true, 1);
    INDArray dx = dxh.subi(dxh.mean(true, 1)).subi(xhat.mul(proj)).muli(rstd);
    xhat = null;
    rstd = null;
    return dx;
  }
}
