package org.tokenrl.tools.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch's numbers for the model benchmark's cases, from {@code
 * experiments/bench/torch_model_bench.py} run one case at a time (so tokenrl and PyTorch alternate
 * and share the machine's load) by Debian's {@code /usr/bin/python3} or {@code
 * $TOKENRL_TORCH_PYTHON}. {@link #probe} says whether that interpreter has torch at all.
 */
final class TorchBaseline {
  private final String python;
  private final Path script;
  private final String description;

  private TorchBaseline(String python, Path script, String description) {
    this.python = python;
    this.script = script;
    this.description = description;
  }

  /** What ran, e.g. "/usr/bin/python3, torch 1.13.0a0", or why PyTorch is not available. */
  String description() {
    return description;
  }

  boolean available() {
    return script != null;
  }

  /**
   * Finds the interpreter and the script; never throws: an unusable setup is reported as missing.
   */
  static TorchBaseline probe(Path root) {
    String env = System.getenv("TOKENRL_TORCH_PYTHON");
    String python = env != null && !env.isBlank() ? env : "/usr/bin/python3";
    Path script = root == null ? null : root.resolve("experiments/bench/torch_model_bench.py");
    if (script == null || !Files.isRegularFile(script)) {
      return missing(
          python, "experiments/bench/torch_model_bench.py not found (tokenrl.root unset?)");
    }
    try {
      Run r = exec(List.of(python, "-I", "-c", "import torch; print(torch.__version__)"));
      if (r.exitCode != 0) {
        return missing(
            python, python + " has no torch module (Debian: apt-get install python3-torch)");
      }
      return new TorchBaseline(python, script, python + ", torch " + r.stdout.trim());
    } catch (IOException e) {
      return missing(
          python, "cannot run " + python + " (" + e.getMessage() + "); set TOKENRL_TORCH_PYTHON");
    }
  }

  private static TorchBaseline missing(String python, String why) {
    return new TorchBaseline(python, null, "not available: " + why);
  }

  /** PyTorch's value of {@code field} for the case named {@code caseName}, or empty on failure. */
  OptionalDouble measure(String caseName, String field, boolean quick, boolean cpuTime) {
    if (!available()) {
      return OptionalDouble.empty();
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(python, "-I", script.toAbsolutePath().toString(), "--only", caseName));
    if (quick) {
      cmd.add("--quick");
    }
    if (cpuTime) {
      cmd.add("--cpu-time");
    }
    try {
      Run r = exec(cmd);
      Matcher m =
          Pattern.compile(
                  "\\{\"case\":\""
                      + Pattern.quote(caseName)
                      + "\",\""
                      + field
                      + "\":([0-9.eE+-]+)\\}")
              .matcher(r.stdout);
      if (r.exitCode == 0 && m.find()) {
        return OptionalDouble.of(Double.parseDouble(m.group(1)));
      }
      System.err.println("torch_model_bench.py failed for '" + caseName + "': " + r.stderr.strip());
    } catch (IOException e) {
      System.err.println("torch_model_bench.py failed for '" + caseName + "': " + e.getMessage());
    }
    return OptionalDouble.empty();
  }

  private record Run(int exitCode, String stdout, String stderr) {}

  private static Run exec(List<String> cmd) throws IOException {
    // -I and a directory of our own: nothing in the user's working directory is imported.
    ProcessBuilder pb =
        new ProcessBuilder(cmd).directory(Path.of(System.getProperty("java.io.tmpdir")).toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    // Drain stderr on its own thread so a chatty child cannot block on a full pipe.
    StringBuilder err = new StringBuilder();
    Thread drain = new Thread(() -> err.append(readAll(p.getErrorStream())));
    drain.start();
    String out = readAll(p.getInputStream());
    try {
      int code = p.waitFor();
      drain.join();
      return new Run(code, out, err.toString());
    } catch (InterruptedException e) {
      p.destroy();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static String readAll(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
