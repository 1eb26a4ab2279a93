package org.tokenrl.runlog;

/** Small numeric helpers for metrics. */
public final class Stats {
  private Stats() {}

  public static double mean(double[] x) {
    if (x.length == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s / x.length;
  }

  /** Population standard deviation, as metrics dashboards show it. */
  public static double std(double[] x) {
    if (x.length == 0) {
      return Double.NaN;
    }
    double m = mean(x);
    double s = 0;
    for (double v : x) {
      s += (v - m) * (v - m);
    }
    return Math.sqrt(s / x.length);
  }

  static double[][] toDouble(float[][] x) {
    double[][] out = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      out[i] = new double[x[i].length];
      for (int t = 0; t < x[i].length; t++) {
        out[i][t] = x[i][t];
      }
    }
    return out;
  }
}
