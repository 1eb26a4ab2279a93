package org.tokenrl.trainer;

import java.util.Map;

/** The console progress line: step/total, reward, accuracy, tokens/s and ETA. */
final class Progress {
  private final long totalSteps;
  private final long startNanos = System.nanoTime();
  private long stepsDone;

  Progress(long totalSteps) {
    this.totalSteps = totalSteps;
  }

  String line(String phase, long globalStep, Map<String, Double> m, double lastEval) {
    stepsDone++;
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    double eta = elapsed / stepsDone * (totalSteps - globalStep);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("step %d/%d [%s]", globalStep, totalSteps, phase));
    append(sb, "nll", m.get("sft/nll"), "%.4f");
    append(sb, "reward", m.get("train/reward_mean"), "%.3f");
    append(sb, "acc", m.get("train/accuracy"), "%.3f");
    if (!Double.isNaN(lastEval)) {
      sb.append(String.format(" | eval %.3f", lastEval));
    }
    append(sb, "kl", m.get("actor/kl"), "%.4f");
    sb.append(String.format(" | %,.0f tok/s", m.getOrDefault("perf/tokens_per_sec", 0.0)));
    sb.append(" | ETA ").append(duration(eta));
    return sb.toString();
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
