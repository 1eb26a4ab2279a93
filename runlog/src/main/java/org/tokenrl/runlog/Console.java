package org.tokenrl.runlog;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * The streams a command reads and writes. Passed in rather than taken from {@code System} so a test
 * can run a command in-process and read what it printed without swapping the process-wide streams.
 */
public record Console(InputStream in, PrintStream out, PrintStream err) {
  public static Console system() {
    return new Console(System.in, System.out, System.err);
  }
}
