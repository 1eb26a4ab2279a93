package org.tokenrl.model;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * An "updater" for {@code SameDiff.fit} that copies each parameter's gradient into a buffer we own
 * and turns the update into zeros, so fit's in-place {@code param -= update} leaves the weights
 * bit-identical. This gives us fit's speed (much faster than calculateGradients in this release)
 * while AdamW, global-norm clipping and the NaN skip stay in our hands: {@link AdamW} reads the
 * captured gradients afterwards and only then touches weights and optimizer state.
 */
final class GradientCapture implements IUpdater {

  @Override
  public long stateSize(long numParams) {
    return 0;
  }

  @Override
  public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
    return new Buffer(this);
  }

  @Override
  public GradientUpdater instantiate(Map<String, INDArray> state, boolean initialize) {
    return new Buffer(this);
  }

  @Override
  public IUpdater clone() {
    return this;
  }

  @Override
  public double getLearningRate(int iteration, int epoch) {
    return 1.0;
  }

  @Override
  public boolean hasLearningRate() {
    return false;
  }

  @Override
  public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
    throw new UnsupportedOperationException("GradientCapture has no learning rate");
  }

  /** Per-parameter gradient buffer; {@link #gradient()} is valid after a fit call. */
  static final class Buffer implements GradientUpdater<GradientCapture> {
    private final GradientCapture config;
    private INDArray gradient;

    Buffer(GradientCapture config) {
      this.config = config;
    }

    INDArray gradient() {
      return gradient;
    }

    @Override
    public GradientCapture getConfig() {
      return config;
    }

    @Override
    public void setState(Map<String, INDArray> stateMap, boolean initialize) {}

    @Override
    public Map<String, INDArray> getState() {
      return Map.of();
    }

    @Override
    public void setStateViewArray(
        INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {}

    @Override
    public void applyUpdater(INDArray update, int iteration, int epoch) {
      if (gradient == null || !java.util.Arrays.equals(gradient.shape(), update.shape())) {
        gradient = update.dup('c');
      } else {
        gradient.assign(update);
      }
      update.assign(0);
    }
  }
}
