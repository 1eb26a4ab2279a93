package org.tokenrl.runlog;

import java.util.Map;
import java.util.function.LongSupplier;
import org.tokenrl.core.Metrics;

/**
 * The progress of one phase (the SFT warm-up, or the main algorithm): its own step i/n, the
 * headline numbers of the step, sampling speed, seconds per step and an ETA for the phase from its
 * own step times. One {@code Progress} per phase, so the RL phase's ETA never inherits the SFT
 * phase's far cheaper steps (one global counter once turned "ETA 0m29s" into "2m44s" at the phase
 * change).
 *
 * <p>The ETA is shown from the first step. It charges each remaining step the mean time of the
 * phase's steps after its first (the time between two progress calls, so evaluations and
 * checkpoints are included at the rate they happen); at step 1 the first step's own time is all
 * there is. The first step is then left out because it alone carries the phase's start-up (JIT
 * compilation, the first weight sync), which once turned a 2-minute run into "ETA 1h57m".
 */
public final class Progress {
  static final int BAR = 20;
  private final String phase;
  private final long steps;
  private final LongSupplier clock;
  private final long startNanos;
  private long lastNanos;
  private double firstSeconds = Double.NaN;
  private double laterSeconds;
  private long laterSteps;
  private long lastStep;

  /** A phase of {@code steps} steps starting now, timed by {@link System#nanoTime}. */
  public Progress(String phase, long steps) {
    this(phase, steps, System::nanoTime);
  }

  /** With {@code clock} in nanoseconds (tests pass their own). */
  public Progress(String phase, long steps, LongSupplier clock) {
    this.phase = phase;
    this.steps = steps;
    this.clock = clock;
    this.startNanos = clock.getAsLong();
    this.lastNanos = startNanos;
  }

  public String phase() {
    return phase;
  }

  public long steps() {
    return steps;
  }

  /** Records that phase step {@code step} (counting from 1; a resumed phase starts later) ended. */
  public void stepDone(long step) {
    long now = clock.getAsLong();
    double seconds = (now - lastNanos) / 1e9;
    lastNanos = now;
    if (Double.isNaN(firstSeconds)) {
      firstSeconds = seconds;
    } else {
      laterSeconds += seconds;
      laterSteps++;
    }
    lastStep = step;
  }

  /**
   * The line of the last {@link #stepDone} step with its metrics {@code m}: with a bar for a
   * terminal, plain otherwise.
   */
  public String line(Map<String, Double> m, boolean bar) {
    long step = lastStep;
    StringBuilder sb = new StringBuilder();
    if (bar) {
      sb.append(String.format("%s %d/%d %s", phase, step, steps, bar(step)));
    } else {
      sb.append(String.format("[%s] step %d/%d", phase, step, steps));
    }
    append(sb, "nll", m.get(Metrics.SFT_NLL), "%.4f");
    append(sb, "loss", m.containsKey(Metrics.SFT_NLL) ? null : pickLoss(m), "%.4f");
    append(sb, "reward", m.get(Metrics.TRAIN_REWARD_MEAN), "%.3f");
    append(sb, "acc", m.get(Metrics.TRAIN_ACCURACY), "%.3f");
    append(sb, "pref acc", m.get(Metrics.PREF_ACCURACY), "%.3f");
    append(sb, "kl", m.get(Metrics.ACTOR_KL), "%.4f");
    Double sampling = samplingTokensPerSecond(m);
    if (sampling != null) {
      sb.append(String.format(" | %,.0f sampled tok/s", sampling));
    } else if (m.containsKey(Metrics.PERF_TOKENS_PER_SEC)) {
      sb.append(String.format(" | %,.0f tok/s", m.get(Metrics.PERF_TOKENS_PER_SEC)));
    }
    sb.append(String.format(" | %s/step", seconds(perStep())));
    sb.append(" | ETA ").append(duration(etaSeconds()));
    return sb.toString();
  }

  /** Seconds the phase's remaining steps should take. */
  public double etaSeconds() {
    return Math.max(0, steps - lastStep) * perStep();
  }

  /** Wall seconds since the phase started. */
  public double elapsedSeconds() {
    return (clock.getAsLong() - startNanos) / 1e9;
  }

  private double perStep() {
    if (laterSteps > 0) {
      return laterSeconds / laterSteps;
    }
    return Double.isNaN(firstSeconds) ? 0 : firstSeconds;
  }

  private String bar(long step) {
    int filled = steps <= 0 ? BAR : (int) Math.min(BAR, step * BAR / steps);
    return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "]";
  }

  /**
   * RL: response tokens over the seconds spent sampling them (the whole step's tokens/s mixes in
   * the update and read 8 tok/s where sampling ran at 29).
   */
  private static Double samplingTokensPerSecond(Map<String, Double> m) {
    Double tokens = m.get(Metrics.PERF_ROLLOUT_TOKENS);
    Double seconds = m.get(Metrics.phaseTime("rollout"));
    return tokens == null || seconds == null || !(seconds > 0) ? null : tokens / seconds;
  }

  private static Double pickLoss(Map<String, Double> m) {
    return m.containsKey(Metrics.TRAIN_REWARD_MEAN) ? null : m.get(Metrics.ACTOR_LOSS);
  }

  static String seconds(double s) {
    return s >= 10
        ? String.format("%.0fs", s)
        : s >= 1 ? String.format("%.1fs", s) : String.format("%.2fs", s);
  }

  public static String duration(double seconds) {
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
