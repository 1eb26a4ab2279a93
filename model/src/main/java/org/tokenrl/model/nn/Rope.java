package org.tokenrl.model.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rotary position embedding in Hugging Face's {@code rotate_half} layout: within each head of width
 * hd, dimension j &lt; hd/2 is paired with j + hd/2 and the pair is rotated by the angle {@code pos
 * · theta^(−2j/hd)}:
 *
 * <pre>
 *   y = x · cos + swap(x) · sin±     swap(x) = [x2, x1],  sin± = [−sin, sin],  cos = [cos, cos]
 * </pre>
 *
 * The map is orthogonal and its transpose has the same shape: dx = dy · cos + swap(dy · sin±).
 */
public final class Rope {
  private final int headDim;
  private final double theta;
  private final DataType dtype;

  public Rope(int headDim, double theta, DataType dtype) {
    this.headDim = headDim;
    this.theta = theta;
    this.dtype = dtype;
  }

  /** cos and sin± per row, [R, 1, hd] each (broadcast over the heads). */
  public record Angles(INDArray cos, INDArray sin) {}

  public Angles angles(int[] positions) {
    int half = headDim / 2;
    double[] cos = new double[positions.length * headDim];
    double[] sin = new double[positions.length * headDim];
    for (int r = 0; r < positions.length; r++) {
      for (int j = 0; j < half; j++) {
        double invFreq = 1.0 / Math.pow(theta, (2.0 * j) / headDim);
        // HF computes the angle in float32: match it so float logits agree to ~1e-6
        float angle = (float) positions[r] * (float) invFreq;
        double c = Math.cos(angle);
        double s = Math.sin(angle);
        cos[r * headDim + j] = c;
        cos[r * headDim + j + half] = c;
        sin[r * headDim + j] = -s;
        sin[r * headDim + j + half] = s;
      }
    }
    long[] shape = {positions.length, 1, headDim};
    return new Angles(
        Nd4j.create(cos, shape, DataType.DOUBLE).castTo(dtype),
        Nd4j.create(sin, shape, DataType.DOUBLE).castTo(dtype));
  }

  /** x [R, nh·hd] -> rotated [R, nh·hd]. */
  public INDArray forward(INDArray x, Angles a) {
    INDArray rotated = Ops.empty(x.dataType(), x.shape());
    if (CpuKernels.rope(x, a.cos(), a.sin(), headDim, rotated)) {
      return rotated;
    }
    long rows = x.size(0);
    INDArray x3 = x.reshape('c', rows, x.size(1) / headDim, headDim);
    INDArray y = swap(x3).muli(a.sin()).addi(x3.mul(a.cos()));
    return y.reshape('c', rows, x.size(1));
  }

  public INDArray backward(INDArray dy, Angles a) {
    INDArray dx = Ops.empty(dy.dataType(), dy.shape());
    if (CpuKernels.rope(dy, a.cos(), a.sin(), headDim, true, dx)) {
      return dx;
    }
    long rows = dy.size(0);
    INDArray d3 = dy.reshape('c', rows, dy.size(1) / headDim, headDim);
    return swap(d3.mul(a.sin())).addi(d3.mul(a.cos())).reshape('c', rows, dy.size(1));
  }

  /** [..., hd] -> [x[..., hd/2:], x[..., :hd/2]] as a new array. */
  private INDArray swap(INDArray x3) {
    int half = headDim / 2;
    INDArray out = x3.ulike();
    out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half))
        .assign(
            x3.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, headDim)));
    out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, headDim))
        .assign(x3.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half)));
    return out;
  }
}
