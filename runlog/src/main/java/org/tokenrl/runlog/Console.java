package org.tokenrl.runlog;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * The streams a command reads and writes. Passed in rather than taken from {@code System} so a test
 * can run a command in-process and read what it printed without swapping the process-wide streams.
 *
 * @param terminal whether {@code out} is a terminal a person watches: the progress line then
 *     updates in place (carriage return) instead of printing a line every {@code trainer.log_every}
 *     steps
 */
public record Console(InputStream in, PrintStream out, PrintStream err, boolean terminal) {

  /** Streams that are not a terminal (a test's buffers, a pipe). */
  public Console(InputStream in, PrintStream out, PrintStream err) {
    this(in, out, err, false);
  }

  /**
   * The process's streams. A terminal when the JVM has a console (standard input and output both a
   * terminal: not piped, not under nohup or CI) and {@code TERM} is not {@code dumb}; {@code
   * TOKENRL_PROGRESS=plain} forces plain lines and {@code =bar} the updating line.
   */
  public static Console system() {
    String forced = System.getenv("TOKENRL_PROGRESS");
    boolean terminal =
        forced != null && !forced.isBlank()
            ? forced.equals("bar")
            : System.console() != null && !"dumb".equals(System.getenv("TERM"));
    return new Console(System.in, System.out, System.err, terminal);
  }

  /** Columns of the terminal ({@code COLUMNS} when the shell exports it, else 120). */
  public int width() {
    try {
      String columns = System.getenv("COLUMNS");
      return columns == null ? 120 : Math.max(40, Integer.parseInt(columns.strip()));
    } catch (NumberFormatException e) {
      return 120;
    }
  }
}
