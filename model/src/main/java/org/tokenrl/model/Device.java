package org.tokenrl.model;

import org.nd4j.linalg.factory.Nd4j;

/** Where the engine computes, for the start banner: device, ND4J backend and threads. */
public final class Device {
  private Device() {}

  /** E.g. {@code cpu (ND4J CpuBackend), 2 cores, OMP_NUM_THREADS=1}. */
  public static String description() {
    String backend = Nd4j.getBackend().getClass().getSimpleName();
    String device = backend.toLowerCase(java.util.Locale.ROOT).contains("cu") ? "cuda" : "cpu";
    String omp = System.getenv("OMP_NUM_THREADS");
    return String.format(
        "%s (ND4J %s), %d cores, OMP_NUM_THREADS=%s",
        device, backend, Runtime.getRuntime().availableProcessors(), omp == null ? "unset" : omp);
  }
}
