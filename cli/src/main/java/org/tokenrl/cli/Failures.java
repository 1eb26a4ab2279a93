package org.tokenrl.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.ConfigException;
import org.tokenrl.rewards.RewardException;
import org.tokenrl.runlog.Console;
import org.tokenrl.runlog.RunLock;

/**
 * The one place where a command's failure becomes its console line and exit code, so every command
 * answers alike and no user ever sees a Java stack trace:
 *
 * <ul>
 *   <li>bad input (a config key or value, a data or model file, a reward definition or a user
 *       reward that fails, a run directory in use, a full disk, memory the settings cannot fit):
 *       one line saying what to change, exit code {@value CliCommand#BAD_INPUT};
 *   <li>anything else is a bug of tokenrl's: one line naming the exception and where the full trace
 *       went (the run's {@code train.log}, or a file in the temporary directory), exit code {@value
 *       CliCommand#FAILED}.
 * </ul>
 *
 * <p>{@link IllegalArgumentException} and {@link IllegalStateException} count as bad input: they
 * are what the library's checks throw for settings the config schema cannot see (an algorithm value
 * out of range, a data file with no usable pairs, a dead Ray node with the checkpoint to resume).
 */
final class Failures {
  private Failures() {}

  /** The one line and exit code of {@code failure}; the trace goes to {@code traceFile}. */
  static int report(Throwable failure, Console console, String command, Path traceFile) {
    return report(failure, console, command, traceFile, "");
  }

  /**
   * The same, with {@code after} (how a started run continues from its last checkpoint) ending the
   * line of a failure found while working.
   */
  static int report(
      Throwable failure, Console console, String command, Path traceFile, String after) {
    String prefix = "tokenrl " + command + ": ";
    Throwable known = firstKnown(failure);
    Throwable ray = rayFailure(failure);
    if (known == null && ray != null) {
      // Ray's own exceptions (a raylet or the head that died: "Broken pipe") are the cluster's
      // state, not a bug here.
      console
          .err()
          .println(
              prefix
                  + "the Ray cluster failed ("
                  + ray.getClass().getSimpleName()
                  + ": "
                  + oneLine(ray.getMessage())
                  + "): a node or the head died or stopped answering"
                  + after);
      writeTrace(failure, traceFile);
      return CliCommand.BAD_INPUT;
    }
    if (known instanceof ConfigException) {
      console.err().println(oneLine(known.getMessage()) + after); // names the key and file
      return CliCommand.BAD_INPUT;
    }
    String resume =
        after.isEmpty() && command.equals("train")
            ? "; a stopped run continues with ./tokenrl train --resume <run dir>"
            : after;
    if (known instanceof OutOfMemoryError) {
      console.err().println(prefix + outOfMemory(known) + resume);
      return CliCommand.BAD_INPUT;
    }
    if (known instanceof IOException io && diskFull(io)) {
      console
          .err()
          .println(
              prefix
                  + "the disk is full ("
                  + oneLine(io.getMessage())
                  + "): free some space (or set trainer.run_dir on another disk) and run again"
                  + resume);
      return CliCommand.BAD_INPUT;
    }
    if (known != null) {
      console.err().println(prefix + oneLine(known.getMessage()) + after);
      return CliCommand.BAD_INPUT;
    }
    Path written = writeTrace(failure, traceFile);
    StackTraceElement at = whereThrown(failure);
    console
        .err()
        .println(
            prefix
                + "internal error: "
                + failure.getClass().getSimpleName()
                + (failure.getMessage() != null ? ": " + oneLine(failure.getMessage()) : "")
                + (at != null ? " (at " + at.getFileName() + ":" + at.getLineNumber() + ")" : "")
                + (written != null
                    ? "; the full trace is in " + written
                    : "; the trace could not be written")
                + ". Please report it"
                + after);
    return CliCommand.FAILED;
  }

  /**
   * The outermost cause that is bad input rather than a bug: the cause chain is walked because
   * threads and executors wrap what their task threw (an ExecutionException around a
   * ConfigException).
   */
  private static Throwable firstKnown(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ConfigException
          || t instanceof OutOfMemoryError
          || t instanceof CliCommand.BadInput
          || t instanceof RunLock.HeldException
          || t instanceof RewardException
          || t instanceof ChatTemplate.TemplateException
          || (t instanceof IOException io && diskFull(io))) {
        return t;
      }
    }
    // An unchecked wrapper of an I/O failure: the I/O failure's message says what went wrong.
    Throwable t = failure instanceof UncheckedIOException u ? u.getCause() : failure;
    if (t instanceof IOException
        || t instanceof IllegalArgumentException
        || t instanceof IllegalStateException) {
      return t.getMessage() == null ? null : t;
    }
    return null;
  }

  /** The outermost exception of Ray's API ({@code io.ray.*}) in the chain, if any. */
  private static Throwable rayFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getClass().getName().startsWith("io.ray.")) {
        return t;
      }
    }
    return null;
  }

  private static boolean diskFull(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage();
      if (m != null && (m.contains("No space left on device") || m.contains("Disk quota"))) {
        return true;
      }
    }
    return false;
  }

  private static String outOfMemory(Throwable e) {
    String which =
        e.getMessage() != null && e.getMessage().contains("Java heap")
            ? "the Java heap (TOKENRL_HEAP, default 2g)"
            : "native memory (ND4J's cap TOKENRL_NATIVE, default half the machine's RAM)";
    return "out of memory in "
        + which
        + ": lower trainer.micro_batch_tokens, trainer.prompts_per_step, trainer.group_size,"
        + " rollout.max_new_tokens or rollout.workers (or the model's size), or raise the cap";
  }

  /** The first frame of tokenrl's own code in the failure's trace (else its top frame). */
  private static StackTraceElement whereThrown(Throwable failure) {
    StackTraceElement[] trace = failure.getStackTrace();
    for (StackTraceElement e : trace) {
      if (e.getClassName().startsWith("org.tokenrl.")) {
        return e;
      }
    }
    return trace.length > 0 ? trace[0] : null;
  }

  /**
   * Appends the full trace to {@code traceFile} (a run's train.log), or when there is none to a new
   * file in the temporary directory; returns where it went, or null if nowhere.
   */
  static Path writeTrace(Throwable failure, Path traceFile) {
    StringWriter text = new StringWriter();
    try (PrintWriter w = new PrintWriter(text)) {
      w.println(
          LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
              + " internal error, full trace:");
      failure.printStackTrace(w);
    }
    try {
      Path file = traceFile;
      if (file == null || !Files.isDirectory(file.toAbsolutePath().getParent())) {
        file =
            Path.of(
                System.getProperty("java.io.tmpdir"),
                "tokenrl-error-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                    + "-"
                    + ProcessHandle.current().pid()
                    + ".log");
      }
      Files.writeString(
          file,
          text.toString(),
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      return file;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The first line of a message (a library's message can span lines). */
  private static String oneLine(String message) {
    if (message == null) {
      return "";
    }
    String s = message.strip();
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl).strip();
  }
}
