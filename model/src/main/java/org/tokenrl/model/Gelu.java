package org.tokenrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELUDerivative;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GELU in its sigmoid approximation {@code y = x · σ(1.702 x)} — ND4J's {@code gelu} op, the one
 * SameDiff's {@code nn.gelu} used, so gpt models keep their math. The backward pass reads σ off the
 * forward's own output on the CPU backend ({@link CpuKernels#geluBackward}, no exponential) and
 * runs ND4J's derivative op elsewhere.
 */
final class Gelu {
  private INDArray x;
  private INDArray y;

  INDArray forward(INDArray x, boolean train) {
    INDArray y = x.ulike();
    Nd4j.exec(new GELU(x, y));
    this.x = train ? x : null;
    this.y = train ? y : null; // the next linear keeps it anyway
    return y;
  }

  INDArray backward(INDArray dy) {
    INDArray dx = Ops.empty(dy.dataType(), dy.shape());
    if (CpuKernels.geluBackward(x, y, dy, dx)) {
      x = y = null;
      return dx;
    }
    y = null;
    INDArray grad = x.ulike();
    Nd4j.exec(new GELUDerivative(x, grad));
    x = null;
    return grad.muli(dy);
  }
}
