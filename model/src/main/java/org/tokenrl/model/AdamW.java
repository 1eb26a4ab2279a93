package org.tokenrl.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.model.nn.CpuKernels;
import org.tokenrl.model.nn.Ops;

/**
 * AdamW (Loshchilov and Hutter) with decoupled weight decay on matrices, over ND4J arrays:
 *
 * <pre>
 *   m = b1 m + (1-b1) g;   v = b2 v + (1-b2) g^2
 *   p = p - lr * wd * p  (matrices only)
 *   p = p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 * </pre>
 *
 * Parameters are updated in place, so every layer holding them sees the new values. On the CPU
 * backend each float tensor takes one vectorized pass ({@link CpuKernels#adamW}); elsewhere the
 * moment updates run as ND4J's fused Adam op, which writes the step into the gradient buffer.
 * Either way a step allocates nothing of parameter size.
 */
public final class AdamW implements AutoCloseable {
  private final OptimizerConfig cfg;
  private double learningRate;
  private long step;

  /** First and second moments, same names and shapes as the parameters. */
  public final LinkedHashMap<String, INDArray> m = new LinkedHashMap<>();

  public final LinkedHashMap<String, INDArray> v = new LinkedHashMap<>();

  public AdamW(OptimizerConfig cfg, Map<String, INDArray> params) {
    this.cfg = cfg;
    this.learningRate = cfg.learningRate();
    params.forEach(
        (name, p) -> {
          m.put(name, Nd4j.zeros(p.dataType(), p.shape()));
          v.put(name, Nd4j.zeros(p.dataType(), p.shape()));
        });
  }

  OptimizerConfig config() {
    return cfg;
  }

  double learningRate() {
    return learningRate;
  }

  void setLearningRate(double lr) {
    if (!(lr >= 0) || !Double.isFinite(lr)) {
      throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
    }
    learningRate = lr;
  }

  long step() {
    return step;
  }

  void setStep(long step) {
    this.step = step;
  }

  /**
   * One step. {@code grads} are scaled by {@code gradScale} (clipping) and then overwritten with
   * the update, in place, so the caller must pass buffers it owns.
   */
  public void apply(
      Map<String, INDArray> params,
      Map<String, INDArray> grads,
      double gradScale,
      Predicate<String> decays) {
    step++;
    double b1 = cfg.beta1();
    double b2 = cfg.beta2();
    double bias1 = 1 - Math.pow(b1, step);
    double bias2 = 1 - Math.pow(b2, step);
    // ND4J's fused adam_updater computes lr·sqrt(1-b2^t)/(1-b1^t) · m / (sqrt(v) + eps'); with
    // eps' = eps·sqrt(1-b2^t) that is exactly lr · m̂ / (sqrt(v̂) + eps) — one pass over g, m, v.
    double epsHat = cfg.eps() * Math.sqrt(bias2);
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      String name = e.getKey();
      INDArray p = e.getValue();
      INDArray g = grads.get(name);
      boolean decay = cfg.weightDecay() > 0 && decays.test(name);
      if (CpuKernels.adamW(
          p,
          g,
          m.get(name),
          v.get(name),
          gradScale,
          learningRate,
          b1,
          b2,
          cfg.eps(),
          bias1,
          bias2,
          decay ? cfg.weightDecay() : 0)) {
        continue;
      }
      if (gradScale != 1.0) {
        g.muli(gradScale);
      }
      // in place: g becomes the update, v and m their new values
      Nd4j.exec(
          new AdamUpdater(
              g, v.get(name), m.get(name), learningRate, b1, b2, epsHat, (int) (step - 1)));
      if (learningRate == 0) {
        continue; // the op swaps a zero step size for eps: moments move, weights must not
      }
      if (cfg.weightDecay() > 0 && decays.test(name)) {
        p.muli(1 - learningRate * cfg.weightDecay());
      }
      p.subi(g);
    }
  }

  @Override
  public void close() {
    m.values().forEach(Ops::free);
    v.values().forEach(Ops::free);
  }
}
