package org.tokenrl.trainer;

/**
 * A subcommand of {@code ./tokenrl} that parses its own arguments (everything after its name).
 * New commands extend {@link CliCommand} instead, so that options, help and usage errors behave
 * alike; this stays for {@code bench} while its benchmarks are being rewritten.
 */
interface Command {
  String name();

  String summary();

  /** Returns the process exit code (2 for usage errors). */
  int run(String[] args);
}
