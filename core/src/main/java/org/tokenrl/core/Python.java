package org.tokenrl.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Python script in a child process: the one way tokenrl calls Python (the NLTK reference of
 * {@code bench bleu}, and every interop test through core's test-jar {@code PythonRunner}). The
 * interpreter is {@code python3}, or the {@code tokenrl.python} system property.
 */
public final class Python {
  private Python() {}

  /** What a script printed and how it exited. */
  public record Result(int exitCode, String out, String err) {}

  /** The interpreter: {@code python3} unless {@code -Dtokenrl.python=...}. */
  public static String interpreter() {
    return System.getProperty("tokenrl.python", "python3");
  }

  /**
   * Runs {@code script} with {@code args}, writing {@code stdin} to its standard input.
   *
   * @throws IOException when the interpreter cannot start or does not finish within {@code
   *     timeoutSeconds}
   */
  public static Result run(String script, String stdin, long timeoutSeconds, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(interpreter());
    cmd.add("-c");
    cmd.add(script);
    cmd.addAll(Arrays.asList(args));
    // Output goes to files, not pipes: a script that prints more than a pipe holds while we are
    // still writing its input would otherwise deadlock.
    Path out = Files.createTempFile("tokenrl-py", ".out");
    Path err = Files.createTempFile("tokenrl-py", ".err");
    try {
      Process p =
          new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        // a script that dies at import closes its stdin early; its exit code and stderr say why
      }
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(interpreter() + " did not finish within " + timeoutSeconds + " s");
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
