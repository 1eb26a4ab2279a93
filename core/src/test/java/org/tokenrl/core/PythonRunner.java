package org.tokenrl.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Python script for interop tests against the real reference packages (pyarrow,
 * tensorboard). The interpreter is {@code python3}, or the {@code tokenrl.python} system property.
 * Shared with other modules' tests through core's test-jar.
 */
public final class PythonRunner {
  private PythonRunner() {}

  /** Runs {@code script}; fails the test (never skips) if Python or a package is missing. */
  public static String run(String script, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("tokenrl.python", "python3"));
    cmd.add("-c");
    cmd.add(script);
    cmd.addAll(Arrays.asList(args));
    Path out = Files.createTempFile("tokenrl-py", ".out");
    Path err = Files.createTempFile("tokenrl-py", ".err");
    try {
      Process p =
          new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("python timed out");
      }
      if (p.exitValue() != 0) {
        throw new AssertionError(
            "python failed (exit " + p.exitValue() + "); are the packages of"
                + " requirements-test.txt installed (./run-tests does it)?\n"
                + Files.readString(err));
      }
      return Files.readString(out);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
