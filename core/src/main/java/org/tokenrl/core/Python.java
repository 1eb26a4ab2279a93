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
 *
 * <p>Every child starts isolated from the user's working directory: with {@code -I} (no current
 * directory or script directory on {@code sys.path}, no {@code PYTHON*} variables, no user site)
 * and in {@link #safeDirectory()}, so a {@code json.py} or {@code pip/} folder where tokenrl was
 * started is never imported. Scripts are passed as absolute paths.
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
   * The command line of an isolated child: the interpreter, {@code -I}, then {@code args} (e.g.
   * {@code "-m", "pip", ...}, or an absolute script path and its arguments).
   */
  public static List<String> command(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(interpreter());
    cmd.add("-I");
    cmd.addAll(Arrays.asList(args));
    return cmd;
  }

  /**
   * A process builder for {@link #command}: started in {@link #safeDirectory()}, never in the
   * user's working directory.
   */
  public static ProcessBuilder processBuilder(String... args) {
    return new ProcessBuilder(command(args)).directory(safeDirectory().toFile());
  }

  /** The directory children start in: the JVM's temporary directory, absolute. */
  public static Path safeDirectory() {
    return Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
  }

  /**
   * Runs {@code script} with {@code args}, writing {@code stdin} to its standard input.
   *
   * @throws IOException when the interpreter cannot start or does not finish within {@code
   *     timeoutSeconds}
   */
  public static Result run(String script, String stdin, long timeoutSeconds, String... args)
      throws IOException, InterruptedException {
    List<String> cmdArgs = new ArrayList<>();
    cmdArgs.add("-c");
    cmdArgs.add(script);
    cmdArgs.addAll(Arrays.asList(args));
    // Output goes to files, not pipes: a script that prints more than a pipe holds while we are
    // still writing its input would otherwise deadlock.
    Path out = Files.createTempFile("tokenrl-py", ".out");
    Path err = Files.createTempFile("tokenrl-py", ".err");
    try {
      Process p =
          processBuilder(cmdArgs.toArray(String[]::new))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
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
