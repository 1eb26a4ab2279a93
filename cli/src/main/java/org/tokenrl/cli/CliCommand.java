package org.tokenrl.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tokenrl.runlog.Console;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.runlog.RunLock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A subcommand of {@code ./tokenrl}: a picocli {@code @Command} whose fields are its options.
 * {@link Main} parses the arguments into those fields (a bad option is one line on stderr and exit
 * code 2 before {@link #execute} runs) and hands the command its {@link Console}.
 *
 * <p>Exit codes are the same for every command: 0 done, 2 bad input (a usage error, a bad config
 * key or value, a malformed input file, memory or disk the settings cannot fit; one line on stderr,
 * before any work where it can be found then), 1 an internal error (one line saying where its trace
 * went). {@link Failures} maps every failure.
 */
@Command(sortOptions = false)
abstract class CliCommand implements Callable<Integer> {
  /** Exit code for bad input: options, config, data. */
  static final int BAD_INPUT = 2;

  /** Exit code for an internal error (a bug): one line, the trace in a file. */
  static final int FAILED = 1;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "show this help and exit")
  private boolean help;

  private Console console = Console.system();
  private Path traceFile; // null: a new file in the temporary directory

  void console(Console console) {
    this.console = console;
  }

  Console console() {
    return console;
  }

  /** The command's work; returns its exit code. */
  abstract int execute() throws Exception;

  /**
   * Runs the command; every failure becomes one line and its exit code in {@link Failures} (bad
   * input 2, a bug 1 with the trace in {@link #traceTo}'s file), never a stack trace.
   */
  @Override
  public final Integer call() {
    try {
      return execute();
    } catch (Throwable e) { // OutOfMemoryError and StackOverflowError too: one line, not a trace
      return Failures.report(e, console, name(), traceFile, afterFailure());
    }
  }

  /**
   * What ends the line of a failure found while working, e.g. how a started run continues; empty by
   * default.
   */
  String afterFailure() {
    return "";
  }

  /** Where an internal error's full trace goes (a run's train.log) once the command has one. */
  void traceTo(Path file) {
    this.traceFile = file;
  }

  /**
   * A shared lock on the run directory {@code path} is, or holds (a checkpoint inside it), for a
   * command that reads it; null for anything else. Refused while a live run holds the directory.
   *
   * @throws RunLock.HeldException naming the live run's PID
   */
  static RunLock lockForReading(Path path) {
    Path p = path.toAbsolutePath().normalize();
    for (int up = 0; up < 3 && p != null; up++, p = p.getParent()) {
      if (Files.isRegularFile(p.resolve(RunDirectory.CONFIG))
          && Files.isDirectory(p.resolve("checkpoints"))) {
        return new RunDirectory(p).lockShared();
      }
    }
    return null;
  }

  /**
   * Refuses to overwrite an existing report or export at {@code out} unless {@code force}: a typo
   * must not replace, say, a run's own config.conf.
   */
  static void refuseExisting(Path out, boolean force) throws BadInput {
    if (out != null && Files.exists(out) && !force) {
      throw new BadInput(
          out + " already exists; choose another file or pass --force to overwrite it");
    }
    if (out != null && Files.isDirectory(out)) {
      throw new BadInput(out + " is a directory, not a file");
    }
  }

  /** Prints {@code tokenrl <command>: message} as the one line of a bad-input exit. */
  int fail(String message) {
    console.err().println("tokenrl " + name() + ": " + message);
    return BAD_INPUT;
  }

  @Spec private CommandSpec spec; // set by picocli when it parses this command's arguments

  /** The command as typed after {@code tokenrl}, e.g. {@code bench model}. */
  String name() {
    if (spec == null) { // built without parsing (tests)
      return getClass().getAnnotation(Command.class).name();
    }
    String rootPrefix = spec.root().name() + " ";
    String qualified = spec.qualifiedName(" ");
    return qualified.startsWith(rootPrefix) ? qualified.substring(rootPrefix.length()) : qualified;
  }

  /** Bad input found while working (a malformed line, a missing file): one line, exit code 2. */
  static final class BadInput extends Exception {
    BadInput(String message) {
      super(message);
    }
  }
}
