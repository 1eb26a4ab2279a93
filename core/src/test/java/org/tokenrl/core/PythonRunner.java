package org.tokenrl.core;

/**
 * Runs a Python script for interop tests against the real reference packages (pyarrow, tensorboard,
 * safetensors, ...) through {@link Python}. Shared with other modules' tests through core's
 * test-jar.
 */
public final class PythonRunner {
  private PythonRunner() {}

  /** Runs {@code script}; fails the test (never skips) if Python or a package is missing. */
  public static String run(String script, String... args) throws Exception {
    return runWithInput(script, "", args);
  }

  /** Runs {@code script} with {@code stdin} as its standard input; returns its standard output. */
  public static String runWithInput(String script, String stdin, String... args) throws Exception {
    Python.Result r = Python.run(script, stdin, 120, args);
    if (r.exitCode() != 0) {
      throw new AssertionError(
          "python failed (exit "
              + r.exitCode()
              + "); are the packages of"
              + " requirements-test.txt installed (./run-tests does it)?\n"
              + r.err());
    }
    return r.out();
  }
}
