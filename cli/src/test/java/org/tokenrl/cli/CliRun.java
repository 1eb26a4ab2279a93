package org.tokenrl.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.tokenrl.runlog.Console;

/** One {@code ./tokenrl} invocation in this JVM, with its exit code and captured output. */
record CliRun(int code, String out, String err) {

  static CliRun of(String... args) {
    return withInput("", args);
  }

  /** Runs with {@code stdin} as the command's standard input. */
  static CliRun withInput(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Console console =
        new Console(
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    int code = Main.run(console, args);
    return new CliRun(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Standard output's lines (none for empty output). */
  List<String> lines() {
    return out.isEmpty() ? List.of() : List.of(out.strip().split("\n"));
  }
}
