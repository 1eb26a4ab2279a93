package org.tokenrl.runlog;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.core.Metrics;

/** Seconds spent in each phase of a step, reported as {@code perf/time_<phase>}. */
public final class PhaseTimer {
  private final Map<String, Double> seconds = new LinkedHashMap<>();
  private final long start = System.nanoTime();
  private long last = start;

  /** Charges the time since the previous lap (or construction) to {@code phase}. */
  public void lap(String phase) {
    long now = System.nanoTime();
    seconds.merge(phase, (now - last) / 1e9, Double::sum);
    last = now;
  }

  public double totalSeconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  public void addTo(Map<String, Double> metrics) {
    seconds.forEach((phase, s) -> metrics.put(Metrics.phaseTime(phase), s));
    metrics.put(Metrics.PERF_TIME_STEP, totalSeconds());
  }
}
