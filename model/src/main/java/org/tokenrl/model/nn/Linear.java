package org.tokenrl.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.Params;

/**
 * A bias-optional linear layer {@code y = x · Wᵀ + b} over rows. The weight is kept in the layout
 * of its exported name: HF's nn.Linear layout [out, in] ({@code outIn}, llama), or [in, out] (gpt's
 * historic names). Either way the GEMM reads it in place: a transposed operand is a BLAS flag, not
 * a copy.
 */
public final class Linear {
  private final INDArray w;
  private final INDArray dw;
  private final INDArray b;
  private final INDArray db;
  private final boolean outIn;
  private INDArray x;
  private LoraAdapter adapter; // null: a plain linear

  public Linear(Params p, String weight, String bias, boolean outIn) {
    this.w = p.get(weight);
    this.dw = p.grad(weight);
    this.b = bias == null ? null : p.get(bias);
    this.db = bias == null ? null : p.grad(bias);
    this.outIn = outIn;
  }

  /** Adds a low-rank adapter beside the (then frozen) weight. */
  void attach(LoraAdapter adapter) {
    this.adapter = adapter;
  }

  LoraAdapter adapter() {
    return adapter;
  }

  long inFeatures() {
    return outIn ? w.size(1) : w.size(0);
  }

  /** A new array: the weight plus {@code deltaOutIn} [out, in], in the weight's own layout. */
  public INDArray merged(INDArray deltaOutIn) {
    return w.dup('c').addi(outIn ? deltaOutIn.dup('c') : deltaOutIn.transpose().dup('c'));
  }

  long outFeatures() {
    return outIn ? w.size(0) : w.size(1);
  }

  /** x [R, in] -> y [R, out]; keeps x for the backward pass when {@code train}. */
  public INDArray forward(INDArray x, boolean train) {
    INDArray y = Ops.mm(x, false, w, outIn);
    if (b != null) {
      y.addiRowVector(b);
    }
    this.x = train ? x : null;
    if (adapter != null) {
      adapter.addForward(x, y, train);
    }
    return y;
  }

  /** dy [R, out] -> dx [R, in]; adds dW (and db) to the gradient buffers. */
  public INDArray backward(INDArray dy) {
    if (dw == null) { // frozen base weight (LoRA): no dW
      x = null;
      return withAdapter(dy, Ops.mm(dy, false, w, !outIn));
    }
    if (outIn) {
      Ops.gemm(dy, true, x, false, dw, 1.0); // dW [out, in] += dyᵀ · x
    } else {
      Ops.gemm(x, true, dy, false, dw, 1.0); // dW [in, out] += xᵀ · dy
    }
    if (db != null) {
      db.addi(dy.sum(0));
    }
    x = null;
    return withAdapter(dy, Ops.mm(dy, false, w, !outIn)); // dx = dy · W
  }

  private INDArray withAdapter(INDArray dy, INDArray dx) {
    if (adapter != null) {
      adapter.addBackward(dy, dx);
    }
    return dx;
  }
}
