package org.tokenrl.tools.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalDouble;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.tools.bench.ModelBench.BenchCase;
import org.tokenrl.tools.bench.ModelBench.Metric;
import org.tokenrl.tools.bench.ModelBench.Result;

/**
 * {@code ./tokenrl bench model}: runs {@link ModelBench}'s cases and prints a table (default) or
 * one JSON object per case; with --vs-torch each case is followed by the same case in PyTorch, so
 * both see the same machine load, and the ratio tokenrl/PyTorch is printed (step time for train
 * cases: lower is better; tokens/s for sample cases: higher is better).
 */
public final class ModelBenchRun {
  private final boolean quick;
  private final boolean json;
  private final boolean vsTorch;
  private final String only;
  private final boolean cpuTime;
  private final int rounds;

  public ModelBenchRun(
      boolean quick, boolean json, boolean vsTorch, String only, boolean cpuTime, int rounds) {
    this.rounds = rounds;
    this.quick = quick;
    this.cpuTime = cpuTime;
    this.json = json;
    this.vsTorch = vsTorch;
    this.only = only;
  }

  public void run() {
    // Context goes to stderr with --json so stdout stays one JSON object per case.
    PrintStream info = json ? System.err : System.out;
    info.println("blas: " + ModelBench.openBlasInUse());
    String core = System.getenv("OPENBLAS_CORETYPE");
    // PyTorch (--vs-torch) inherits this process's environment, so both sides run the same kernels.
    info.println(
        "blas kernels: "
            + (core == null || core.isBlank()
                ? "OpenBLAS's own CPU detection (OPENBLAS_CORETYPE unset)"
                : core + " (OPENBLAS_CORETYPE; the launcher sets it from the CPU's flags)"));
    info.println(
        "OMP_NUM_THREADS="
            + System.getenv("OMP_NUM_THREADS")
            + ", load average "
            + loadAverage()
            + ", clock: "
            + (cpuTime ? "CPU time of the benchmark thread" : "wall time"));
    TorchBaseline torch = vsTorch ? TorchBaseline.probe(ProjectRoot.get()) : null;
    if (torch != null) {
      info.println("torch: " + torch.description());
    }
    if (!json) {
      System.out.printf(
          "%-32s %18s%s%n",
          "case", "tokenrl", torch == null ? "" : String.format("%18s %8s", "PyTorch", "ratio"));
    }
    for (BenchCase c : ModelBench.cases()) {
      if (!c.name().contains(only)) {
        continue;
      }
      // Rounds alternate the two sides, so a slow spell of a shared machine hits both.
      double[] ours = new double[rounds];
      double[] theirs = new double[rounds];
      double[] ratios = new double[rounds];
      Result r = null;
      for (int i = 0; i < rounds; i++) {
        r = ModelBench.run(c, quick, cpuTime);
        OptionalDouble t =
            torch == null
                ? OptionalDouble.empty()
                : torch.measure(c.name(), c.metric().key, quick, cpuTime);
        ours[i] = r.available() ? r.value() : Double.NaN;
        theirs[i] = t.orElse(Double.NaN);
        ratios[i] = ours[i] / theirs[i];
      }
      if (r.available()) {
        r = new Result(c, median(ours), null);
      }
      OptionalDouble t =
          Double.isNaN(median(theirs)) ? OptionalDouble.empty() : OptionalDouble.of(median(theirs));
      double[] shown = rounds > 1 ? ratios : new double[0];
      System.out.println(json ? jsonLine(r, vsTorch, t, shown) : tableLine(r, vsTorch, t, shown));
    }
    if (torch != null && !torch.available() && !json) {
      System.out.println("PyTorch comparison skipped: " + torch.description());
    }
  }

  static String tableLine(Result r, boolean vsTorch, OptionalDouble t) {
    return tableLine(r, vsTorch, t, new double[0]);
  }

  /** With more than one round, the ratio is the median of the rounds' ratios, listed after it. */
  static String tableLine(Result r, boolean vsTorch, OptionalDouble t, double[] roundRatios) {
    Metric m = r.benchCase().metric();
    String ours = r.available() ? value(r.value(), m) : "failed";
    StringBuilder line = new StringBuilder(String.format("%-32s %18s", r.benchCase().name(), ours));
    if (vsTorch) {
      line.append(String.format(" %18s", t.isPresent() ? value(t.getAsDouble(), m) : "-"));
      OptionalDouble ratio = ratio(r, t, roundRatios);
      line.append(
          String.format(
              " %8s",
              ratio.isPresent() ? String.format(Locale.ROOT, "%.2fx", ratio.getAsDouble()) : "-"));
      if (ratio.isPresent() && roundRatios.length > 1) {
        line.append("   rounds:");
        for (double x : roundRatios) {
          line.append(String.format(Locale.ROOT, " %.2fx", x));
        }
      }
    }
    if (!r.available()) {
      line.append("  (").append(r.error()).append(')');
    }
    return line.toString();
  }

  private static String value(double v, Metric m) {
    return String.format(Locale.ROOT, "%,.1f %s", v, m.unit);
  }

  /**
   * {"case":...,"train_step_ms":...}; with --vs-torch also "torch_<field>" and "ratio"; a case that
   * cannot run has a null value and an "error".
   */
  public static String jsonLine(Result r, boolean vsTorch, OptionalDouble t) {
    return jsonLine(r, vsTorch, t, new double[0]);
  }

  /** With more than one round, "ratio" is the median of "round_ratios". */
  public static String jsonLine(Result r, boolean vsTorch, OptionalDouble t, double[] roundRatios) {
    String key = r.benchCase().metric().key;
    StringBuilder s = new StringBuilder("{\"case\":\"").append(r.benchCase().name()).append("\",");
    s.append('"').append(key).append("\":").append(r.available() ? number(r.value()) : "null");
    if (vsTorch) {
      s.append(",\"torch_").append(key).append("\":");
      s.append(t.isPresent() ? number(t.getAsDouble()) : "null");
      OptionalDouble ratio = ratio(r, t, roundRatios);
      s.append(",\"ratio\":");
      s.append(
          ratio.isPresent() ? String.format(Locale.ROOT, "%.3f", ratio.getAsDouble()) : "null");
      if (ratio.isPresent() && roundRatios.length > 1) {
        StringBuilder each = new StringBuilder();
        for (double x : roundRatios) {
          each.append(each.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", x));
        }
        s.append(",\"round_ratios\":[").append(each).append(']');
      }
    }
    if (!r.available()) {
      s.append(",\"error\":\"").append(r.error().replace("\"", "'")).append('"');
    }
    return s.append('}').toString();
  }

  /** tokenrl / PyTorch: of the one round, or the median of several rounds' ratios. */
  private static OptionalDouble ratio(Result r, OptionalDouble t, double[] roundRatios) {
    if (!r.available() || t.isEmpty()) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(
        roundRatios.length > 1 ? median(roundRatios) : r.value() / t.getAsDouble());
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static String number(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
