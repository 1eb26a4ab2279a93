package org.tokenrl.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELUDerivative;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GELU in its sigmoid approximation {@code y = x · σ(1.702 x)} — ND4J's {@code gelu} op, the one
 * SameDiff's {@code nn.gelu} used, so gpt models keep their math. On the CPU backend both passes
 * are {@link CpuKernels} loops without exponentials (both through a rational tanh); elsewhere
 * ND4J's op and its derivative op.
 */
public final class Gelu {
  private INDArray x;

  public INDArray forward(INDArray x, boolean train) {
    INDArray y = x.ulike();
    if (!CpuKernels.gelu(x, y)) {
      Nd4j.exec(new GELU(x, y));
    }
    this.x = train ? x : null;
    return y;
  }

  public INDArray backward(INDArray dy) {
    INDArray dx = Ops.empty(dy.dataType(), dy.shape());
    if (!CpuKernels.geluBackward(x, dy, dx)) {
      Nd4j.exec(new GELUDerivative(x, dx));
      dx.muli(dy);
    }
    x = null;
    return dx;
  }
}
