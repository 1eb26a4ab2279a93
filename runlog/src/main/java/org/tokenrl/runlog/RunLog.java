package org.tokenrl.runlog;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a run reports: every step's metrics to metrics.jsonl and TensorBoard, and human-readable
 * lines to the console and train.log.
 */
public final class RunLog implements AutoCloseable {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
  private final MetricsLog metrics;
  private final TensorBoardWriter tensorboard;
  private final FileChannel logChannel;
  private final Writer logFile;
  private final Console console;
  private final RunDirectory dir;
  private final boolean append;
  // The HPARAMS tab's session: its end status is written once, by whichever comes first of
  // succeeded(), close() (an exception: failure) or the Ctrl-C hook (aborted).
  private boolean sessionOpen;
  private boolean sessionAbandoned;
  private Thread ctrlC;
  // On a terminal: the phase's progress line, drawn without a newline and redrawn after any other
  // line; null when none is shown.
  private String liveLine;

  public RunLog(RunDirectory dir, boolean append, Console console) {
    this.console = console;
    this.dir = dir;
    this.append = append;
    this.metrics = new MetricsLog(dir.metrics(), append);
    this.tensorboard = new TensorBoardWriter(dir.path());
    try {
      this.logChannel =
          FileChannel.open(
              dir.log(),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.APPEND);
      this.logFile = new BufferedWriter(Channels.newWriter(logChannel, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + dir.log(), e);
    }
  }

  /** Logs one step's metrics; returns its metrics.jsonl line. */
  public String metrics(long step, Map<String, Double> values) {
    Map<String, Double> sorted = new TreeMap<>(values);
    String line = metrics.write(step, sorted);
    sorted.forEach(
        (tag, v) -> {
          if (Double.isFinite(v)) {
            tensorboard.scalar(tag, v, step);
          }
        });
    tensorboard.flush();
    return line;
  }

  /**
   * Makes everything logged so far durable (metrics.jsonl, the events file, train.log): called
   * before each checkpoint, so a checkpoint never exists without the lines of its steps.
   */
  public void sync() {
    metrics.sync();
    tensorboard.sync();
    try {
      logFile.flush();
      logChannel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot sync train.log", e);
    }
  }

  public void text(String tag, String text, long step) {
    tensorboard.text(tag, text, step);
    tensorboard.flush();
  }

  /** Writes the Custom Scalars tab's layout ({@link CustomScalars}), once per run part. */
  public void layout(java.util.List<CustomScalars.Category> categories, long step) {
    tensorboard.stringTensor(
        CustomScalars.TAG, CustomScalars.PLUGIN, CustomScalars.encode(categories), step);
    tensorboard.flush();
  }

  /**
   * Starts the run's row in TensorBoard's HPARAMS tab ({@link HParams}): its hyperparameters now,
   * its status when it ends. A resumed run first drops the status its earlier part wrote.
   */
  public void startSession(Hyperparameters hparams, long step) {
    if (append) {
      TensorBoardWriter.removeTag(dir.path(), tensorboard.file(), HParams.SESSION_END_TAG);
    }
    double now = System.currentTimeMillis() / 1000.0;
    tensorboard.pluginData(
        HParams.EXPERIMENT_TAG, HParams.PLUGIN, HParams.experiment(hparams), step);
    tensorboard.pluginData(
        HParams.SESSION_START_TAG,
        HParams.PLUGIN,
        HParams.sessionStart(hparams, dir.path().toAbsolutePath().toString(), now),
        step);
    tensorboard.flush();
    sessionOpen = true;
    ctrlC = new Thread(() -> endSession(HParams.Status.ABORTED), "tokenrl-hparams-abort");
    Runtime.getRuntime().addShutdownHook(ctrlC);
  }

  /** The run reached its last step. */
  public void succeeded() {
    endSession(HParams.Status.SUCCESS);
  }

  /** The run stops here as if killed (tests of resume): no status, like a killed process. */
  public void abandon() {
    sessionAbandoned = true;
  }

  private synchronized void endSession(HParams.Status status) {
    if (!sessionOpen || sessionAbandoned) {
      return;
    }
    sessionOpen = false;
    tensorboard.pluginData(
        HParams.SESSION_END_TAG,
        HParams.PLUGIN,
        HParams.sessionEnd(status, System.currentTimeMillis() / 1000.0),
        0);
    tensorboard.flush();
  }

  /** A line for the person watching: console and train.log. */
  public synchronized void info(String line) {
    clearLive();
    console.out().println(line);
    redrawLive();
    fileLine(line);
  }

  public synchronized void warn(String line) {
    clearLive();
    console.err().println("warning: " + line);
    console.err().flush();
    redrawLive();
    fileLine("warning: " + line);
  }

  /**
   * A phase's progress line. On a terminal it replaces the phase's previous one in place (carriage
   * return, no newline), every step; elsewhere it is printed as a line only when {@code plain}
   * (every {@code trainer.log_every} steps). train.log gets the {@code plain} ones.
   */
  public synchronized void progress(String barLine, String plainLine, boolean plain) {
    if (console.terminal()) {
      liveLine = fit(barLine);
      console.out().print("\r" + liveLine + CLEAR_TO_END);
      console.out().flush();
    } else if (plain) {
      console.out().println(plainLine);
    }
    if (plain) {
      fileLine(plainLine);
    }
  }

  /** Ends the phase's progress line: on a terminal its last state stays on screen. */
  public synchronized void endProgress() {
    if (liveLine != null) {
      console.out().println();
      liveLine = null;
    }
  }

  private static final String CLEAR_TO_END = "\u001b[K";

  private void clearLive() {
    if (liveLine != null) {
      console.out().print("\r" + CLEAR_TO_END);
      console.out().flush();
    }
  }

  private void redrawLive() {
    if (liveLine != null) {
      console.out().print(liveLine);
      console.out().flush();
    }
  }

  /** Cut to the terminal's width, so the line never wraps (a wrapped line cannot be redrawn). */
  private String fit(String line) {
    int width = console.width() - 1;
    return line.length() <= width ? line : line.substring(0, Math.max(0, width - 1)) + "…";
  }

  private void fileLine(String line) {
    try {
      logFile.write(LocalTime.now().format(CLOCK) + " " + line + "\n");
      logFile.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write train.log", e);
    }
  }

  @Override
  public void close() {
    endProgress();
    endSession(HParams.Status.FAILURE); // no-op after succeeded() or abandon()
    if (ctrlC != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(ctrlC);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run: it wrote the status
      }
    }
    metrics.close();
    tensorboard.close();
    try {
      logFile.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
