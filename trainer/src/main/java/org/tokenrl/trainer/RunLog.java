package org.tokenrl.trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a run reports: every step's metrics to metrics.jsonl and TensorBoard, and human-readable
 * lines to the console and train.log.
 */
final class RunLog implements AutoCloseable {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
  private final MetricsLog metrics;
  private final TensorBoardWriter tensorboard;
  private final Writer logFile;
  private final Console console;

  RunLog(RunDirectory dir, boolean append, Console console) {
    this.console = console;
    this.metrics = new MetricsLog(dir.metrics(), append);
    this.tensorboard = new TensorBoardWriter(dir.path());
    try {
      this.logFile =
          Files.newBufferedWriter(
              dir.log(),
              StandardCharsets.UTF_8,
              StandardOpenOption.CREATE,
              StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + dir.log(), e);
    }
  }

  void metrics(long step, Map<String, Double> values) {
    Map<String, Double> sorted = new TreeMap<>(values);
    metrics.write(step, sorted);
    sorted.forEach(
        (tag, v) -> {
          if (Double.isFinite(v)) {
            tensorboard.scalar(tag, v, step);
          }
        });
    tensorboard.flush();
  }

  /** A line for the person watching: console and train.log. */
  void info(String line) {
    console.out().println(line);
    fileLine(line);
  }

  void warn(String line) {
    console.err().println("warning: " + line);
    fileLine("warning: " + line);
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
    metrics.close();
    tensorboard.close();
    try {
      logFile.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
