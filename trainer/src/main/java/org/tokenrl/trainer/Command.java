package org.tokenrl.trainer;

import java.io.InputStream;
import java.io.PrintStream;

/** A subcommand of {@code ./tokenrl}. Returns the process exit code (2 for usage errors). */
interface Command {
  String name();

  String summary();

  int run(String[] args);

  /** The signature of a command implemented in another module. */
  @FunctionalInterface
  interface Runner {
    int run(String[] args, InputStream in, PrintStream out, PrintStream err);
  }

  /** A command whose implementation (and --help) lives in another module. */
  record Delegate(String name, String summary, Runner runner) implements Command {
    @Override
    public int run(String[] args) {
      return runner.run(args, System.in, System.out, System.err);
    }
  }
}
