package org.tokenrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * GELU, GPT-2's tanh approximation: {@code y = x/2 · (1 + tanh(c · (x + 0.044715 x³)))} with c =
 * sqrt(2/π). Its derivative: (1 + t)/2 + x/2 · (1 − t²) · c · (1 + 3 · 0.044715 x²), t the tanh.
 */
final class Gelu {
  private static final double C = Math.sqrt(2 / Math.PI);
  private static final double A = 0.044715;
  private INDArray x;
  private INDArray t;

  INDArray forward(INDArray x, boolean train) {
    INDArray x2 = x.mul(x);
    INDArray t = Transforms.tanh(x2.muli(A).addi(1).muli(x).muli(C), false); // reuses x2
    INDArray y = t.add(1).muli(x).muli(0.5);
    if (train) {
      this.x = x;
      this.t = t;
    }
    return y;
  }

  INDArray backward(INDArray dy) {
    INDArray inner = x.mul(x).muli(3 * A).addi(1).muli(C); // c (1 + 3a x²)
    INDArray sech2 = t.mul(t).rsubi(1); // 1 − t²
    INDArray grad = sech2.muli(inner).muli(x).muli(0.5).addi(t.add(1).muli(0.5));
    x = null;
    t = null;
    return grad.muli(dy);
  }
}
