package org.tokenrl.model.nn;

import java.util.stream.IntStream;
import org.tokenrl.core.Threads;

/**
 * Splits a kernel's loop over independent rows into contiguous slices run on the cores (the common
 * fork-join pool; the calling thread takes a slice too). Every row is still computed by one thread
 * with the same operations in the same order, so the results do not depend on the slice count: a
 * kernel may only hand rows to it whose outputs no other row writes. Sums over rows (a norm's
 * weight gradient) stay serial.
 *
 * <p>Why: the matrix products of a training pass use every BLAS thread, but the Java kernels around
 * them ran on one, so a second core bought 10% of an update (4.84 s to 4.39 s). Small loops run
 * inline: waking a worker costs microseconds, which a [1, d] decode row does not repay.
 */
final class ParallelRows {
  private ParallelRows() {}

  /** Elements of work below which a loop runs on the calling thread. */
  static final long MIN_WORK = 32_768;

  private static final int THREADS = Threads.blas();

  /** Slices to use whatever the size and thread count (tests); 0: automatic. */
  static volatile int forcedSlices;

  /** Rows [from, to) of the loop. */
  @FunctionalInterface
  interface Body {
    void rows(int from, int to);
  }

  /** Runs body over [0, rows) in slices; {@code work} is the loop's elements (its cost). */
  static void run(int rows, long work, Body body) {
    int slices = slices(rows, work);
    if (slices <= 1) {
      body.rows(0, rows);
      return;
    }
    IntStream.range(0, slices)
        .parallel()
        .forEach(s -> body.rows(bound(rows, slices, s), bound(rows, slices, s + 1)));
  }

  /** How many slices {@link #run} makes of a loop. */
  static int slices(int rows, long work) {
    int forced = forcedSlices;
    int want = forced > 0 ? forced : work < MIN_WORK ? 1 : THREADS;
    return Math.max(1, Math.min(want, rows));
  }

  private static int bound(int rows, int slices, int s) {
    return (int) ((long) rows * s / slices);
  }
}
