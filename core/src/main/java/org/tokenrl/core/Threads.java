package org.tokenrl.core;

/**
 * How many threads the matrix products use and how many in-process samplers share the cores. The
 * BLAS thread count is fixed when the native libraries load, so it comes from the environment the
 * JVM started with: {@code OMP_NUM_THREADS} (the {@code ./tokenrl} launcher sets it to the
 * machine's cores unless the user did), else the cores this JVM may use.
 */
public final class Threads {
  private Threads() {}

  /** Cores this JVM may use (cgroup and affinity limits included). */
  public static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** Threads of one BLAS call: OMP_NUM_THREADS when it is a positive integer, else the cores. */
  public static int blas() {
    String env = System.getenv("OMP_NUM_THREADS");
    if (env != null) {
      try {
        int n = Integer.parseInt(env.strip());
        if (n >= 1) {
          return n;
        }
      } catch (NumberFormatException e) {
        // not a count (e.g. a list for nested OpenMP): the cores, as OpenBLAS would
      }
    }
    return cores();
  }

  /**
   * {@code rollout.workers = 0}: as many sampler threads as BLAS-thread-sized shares of the cores
   * (one when every product already uses all cores, one per core with a single BLAS thread), so
   * samplers times BLAS threads do not oversubscribe the machine.
   */
  public static int rolloutWorkers(int configured) {
    return configured > 0 ? configured : Math.max(1, cores() / blas());
  }
}
