package org.tokenrl.runlog;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.tokenrl.core.Metrics;

/**
 * The console progress line: step/total, reward, accuracy, tokens/s and ETA. The ETA charges each
 * remaining step at the average speed of its own phase (an RL step costs far more than an SFT
 * step), using the average of all phases seen so far for a phase that has not started. No ETA is
 * shown before {@link #MIN_STEPS_FOR_ETA} steps of the current phase were timed: the first steps of
 * a phase carry its start-up (JIT, rollout workers), and one of them extrapolated over the whole
 * run once gave "ETA 1h57m" for a 2-minute run.
 */
public final class Progress {
  static final int MIN_STEPS_FOR_ETA = 5;
  private final long totalSteps;
  private final long sftSteps;
  private final LongSupplier clock;
  private final Map<Boolean, double[]> secondsAndSteps = new HashMap<>();
  private long lastNanos;

  public Progress(long totalSteps, long sftSteps) {
    this(totalSteps, sftSteps, System::nanoTime);
  }

  /** With {@code clock} in nanoseconds (tests pass their own). */
  public Progress(long totalSteps, long sftSteps, LongSupplier clock) {
    this.totalSteps = totalSteps;
    this.sftSteps = sftSteps;
    this.clock = clock;
    this.lastNanos = clock.getAsLong();
  }

  public String line(String phase, long globalStep, Map<String, Double> m, double lastEval) {
    long now = clock.getAsLong();
    boolean inSft = globalStep <= sftSteps;
    double[] acc = secondsAndSteps.computeIfAbsent(inSft, k -> new double[2]);
    acc[0] += (now - lastNanos) / 1e9;
    acc[1] += 1;
    lastNanos = now;
    long sftLeft = Math.max(0, sftSteps - globalStep);
    long mainLeft = totalSteps - globalStep - sftLeft;
    double eta = sftLeft * perStep(true) + mainLeft * perStep(false);

    StringBuilder sb = new StringBuilder();
    sb.append(String.format("step %d/%d [%s]", globalStep, totalSteps, phase));
    append(sb, "nll", m.get(Metrics.SFT_NLL), "%.4f");
    append(sb, "reward", m.get(Metrics.TRAIN_REWARD_MEAN), "%.3f");
    append(sb, "acc", m.get(Metrics.TRAIN_ACCURACY), "%.3f");
    if (!Double.isNaN(lastEval)) {
      sb.append(String.format(" | eval %.3f", lastEval));
    }
    append(sb, "kl", m.get(Metrics.ACTOR_KL), "%.4f");
    sb.append(String.format(" | %,.0f tok/s", m.getOrDefault(Metrics.PERF_TOKENS_PER_SEC, 0.0)));
    if (acc[1] >= MIN_STEPS_FOR_ETA) {
      sb.append(" | ETA ").append(duration(eta));
    }
    return sb.toString();
  }

  private double perStep(boolean sft) {
    double[] own = secondsAndSteps.get(sft);
    if (own != null && own[1] > 0) {
      return own[0] / own[1];
    }
    double s = 0;
    double n = 0;
    for (double[] a : secondsAndSteps.values()) {
      s += a[0];
      n += a[1];
    }
    return n == 0 ? 0 : s / n;
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60)
        : String.format("%dm%02ds", s / 60, s % 60);
  }

  private static void append(StringBuilder sb, String label, Double value, String fmt) {
    if (value != null && !Double.isNaN(value)) {
      sb.append(" | ").append(label).append(' ').append(String.format(fmt, value));
    }
  }
}
