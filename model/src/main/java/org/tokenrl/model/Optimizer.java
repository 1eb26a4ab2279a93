package org.tokenrl.model;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.nn.CpuKernels;
import org.tokenrl.model.nn.Tensors;

/**
 * The optimizer step of a {@link Policy}: the gradients' global L2 norm, clipping to {@code
 * gradClipNorm}, and one {@link AdamW} step over the trainable parameters (every weight, or LoRA's
 * adapters). Holds the learning rate, the number of applied steps and the moments: what a
 * checkpoint saves and restores.
 */
public final class Optimizer implements AutoCloseable {
  private final AdamW adam;
  private final Map<String, INDArray> trainable;
  private final Predicate<String> decays; // which parameters get weight decay (matrices)

  Optimizer(OptimizerConfig cfg, Map<String, INDArray> trainable, Predicate<String> decays) {
    this.adam = new AdamW(cfg, trainable);
    this.trainable = trainable;
    this.decays = decays;
  }

  public synchronized OptimizerConfig config() {
    return adam.config();
  }

  /** The learning rate of the next step (a schedule sets it before each update). */
  public synchronized void setLearningRate(double lr) {
    adam.setLearningRate(lr);
  }

  public synchronized double learningRate() {
    return adam.learningRate();
  }

  /** Number of applied (not skipped) optimizer steps. */
  public synchronized long step() {
    return adam.step();
  }

  /** Global L2 norm of the gradients, before clipping. */
  static double globalNorm(Collection<INDArray> gradients) {
    double squares = 0;
    for (INDArray g : gradients) {
      double sq = CpuKernels.sumOfSquares(g);
      if (Double.isNaN(sq)) { // double arrays, or another backend: ND4J's reduction
        double n = g.norm2Number().doubleValue();
        sq = n * n;
      }
      squares += sq;
    }
    return Math.sqrt(squares);
  }

  /**
   * One AdamW step with the gradients clipped to {@code gradClipNorm} ({@code gradNorm} is their
   * {@link #globalNorm}). The gradient buffers are overwritten with the update.
   */
  synchronized void apply(Map<String, INDArray> gradients, double gradNorm) {
    double clip = adam.config().gradClipNorm();
    double scale = clip > 0 && gradNorm > clip ? clip / (gradNorm + 1e-6) : 1.0;
    adam.apply(trainable, gradients, scale, decays);
  }

  /** Adam moments as float copies named "m.<param>" and "v.<param>" (for checkpoints). */
  public synchronized LinkedHashMap<String, float[]> exportState() {
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    adam.m.forEach((name, arr) -> out.put("m." + name, Tensors.toFloats(arr)));
    adam.v.forEach((name, arr) -> out.put("v." + name, Tensors.toFloats(arr)));
    return out;
  }

  /** Restores {@link #exportState}'s moments, the applied-step count and the learning rate. */
  public synchronized void importState(Map<String, float[]> state, long step, double lr) {
    Map<String, float[]> m = new HashMap<>();
    Map<String, float[]> v = new HashMap<>();
    state.forEach(
        (key, value) -> {
          if (key.startsWith("m.")) {
            m.put(key.substring(2), value);
          } else if (key.startsWith("v.")) {
            v.put(key.substring(2), value);
          } else {
            throw new IllegalArgumentException("unexpected optimizer tensor " + key);
          }
        });
    Weights.assignAll(adam.m, m, "optimizer first moments");
    Weights.assignAll(adam.v, v, "optimizer second moments");
    adam.setStep(step);
    adam.setLearningRate(lr);
  }

  /** Releases the moments' native memory. */
  @Override
  public synchronized void close() {
    adam.close();
  }
}
