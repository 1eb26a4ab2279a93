package org.tokenrl.trainer;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * The streams a command reads and writes. Passed in rather than taken from {@code System} so a
 * test can run a command in-process and read what it printed without swapping the process-wide
 * streams.
 */
record Console(InputStream in, PrintStream out, PrintStream err) {
  static Console system() {
    return new Console(System.in, System.out, System.err);
  }
}
