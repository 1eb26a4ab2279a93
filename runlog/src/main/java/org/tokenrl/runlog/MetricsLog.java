package org.tokenrl.runlog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tokenrl.core.DurableFiles;

/**
 * Appends one JSON object per training step to a {@code metrics.jsonl} file, e.g. {@code
 * {"step":3,"actor/clip_frac":0.0,"reward/mean":0.5}}.
 *
 * <p>"step" comes first, then metrics with keys sorted, so files diff and grep well. Numbers use
 * {@link Double#toString} (every value reads back exactly); NaN and infinities, which JSON cannot
 * hold, are written as {@code null}. Each line is flushed as written, so a crashed run keeps every
 * finished step. Thread-safe.
 */
public final class MetricsLog implements AutoCloseable {
  private static final JsonFactory JSON = new JsonFactory();

  private final Path file;
  private final FileChannel channel;
  private final Writer out;

  /**
   * Opens {@code file}, creating it and its parent directories if needed. With {@code append} false
   * an existing file is truncated; with true new lines go after the existing ones (a resumed run).
   */
  public MetricsLog(Path file, boolean append) {
    this.file = file;
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      this.channel =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
      this.out = new BufferedWriter(Channels.newWriter(channel, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open metrics log " + file, e);
    }
  }

  /**
   * Writes one line for {@code step}; a null or non-finite value is written as null. Returns the
   * line (without its newline).
   */
  public synchronized String write(long step, Map<String, Double> metrics) {
    for (String key : metrics.keySet()) {
      if (key == null || key.equals("step")) {
        throw new IllegalArgumentException(
            "metric name "
                + key
                + " at step "
                + step
                + ": names must be non-null and not"
                + " 'step' (reserved for the step number)");
      }
    }
    StringWriter line = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(line)) {
      g.writeStartObject();
      g.writeNumberField("step", step);
      for (Map.Entry<String, Double> e : new TreeMap<>(metrics).entrySet()) {
        g.writeFieldName(e.getKey());
        Double v = e.getValue();
        if (v == null || !Double.isFinite(v)) {
          g.writeNull();
        } else {
          g.writeNumber(v.doubleValue());
        }
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode metrics for step " + step, e);
    }
    try {
      out.write(line.toString());
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write metrics log " + file, e);
    }
    return line.toString();
  }

  /** Flushes and fsyncs: every line written so far survives a crash or power loss. */
  public synchronized void sync() {
    try {
      out.flush();
      channel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot sync metrics log " + file, e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close metrics log " + file, e);
    }
  }

  /**
   * Prepares the file for a run resumed after {@code lastStep}: keeps the complete lines of steps
   * up to {@code lastStep} and drops the rest (a resumed run redoes those steps, so its
   * metrics.jsonl ends up as if the run had never stopped) and any line cut short by a crash. If
   * the line of {@code lastStep} itself is missing or cut, {@code checkpointLine} (the copy the
   * checkpoint holds, or null) takes its place. The file is rewritten atomically.
   */
  public static void repairForResume(Path file, long lastStep, String checkpointLine) {
    try {
      List<String> kept = new ArrayList<>();
      boolean haveLast = false;
      if (Files.exists(file)) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          long step = stepOfCompleteLine(line);
          if (step >= 0 && step <= lastStep) {
            kept.add(line);
            haveLast |= step == lastStep;
          }
        }
      }
      if (!haveLast && checkpointLine != null && stepOfCompleteLine(checkpointLine) == lastStep) {
        kept.add(checkpointLine);
      }
      StringBuilder text = new StringBuilder();
      for (String line : kept) {
        text.append(line).append('\n');
      }
      DurableFiles.writeString(file, text.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite " + file, e);
    }
  }

  /**
   * What keeps {@code file} from holding a resumed run's history up to checkpoint step {@code
   * step}: a damaged line before the last one, or steps 1..step−1 without a line (the checkpoint's
   * own step is restored from its copy, and a crash may cut only the last line). Empty when the
   * history is whole; a resume must not then drop lines {@link #repairForResume} cannot keep.
   */
  public static java.util.Optional<String> gapBefore(Path file, long step) {
    if (!Files.exists(file)) {
      return step > 1
          ? java.util.Optional.of(file.getFileName() + " is missing")
          : java.util.Optional.empty();
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return java.util.Optional.of(file.getFileName() + " cannot be read (" + e.getMessage() + ")");
    }
    java.util.BitSet seen = new java.util.BitSet();
    for (int i = 0; i < lines.size(); i++) {
      long s = stepOfCompleteLine(lines.get(i));
      if (s < 0 && i < lines.size() - 1 && !lines.get(i).isBlank()) {
        return java.util.Optional.of(file.getFileName() + " line " + (i + 1) + " is damaged");
      }
      if (s >= 1 && s < step && s <= Integer.MAX_VALUE) {
        seen.set((int) s);
      }
    }
    int firstMissing = seen.nextClearBit(1);
    if (firstMissing >= step) {
      return java.util.Optional.empty();
    }
    int lastMissing = firstMissing;
    while (lastMissing + 1 < step && !seen.get(lastMissing + 1)) {
      lastMissing++;
    }
    return java.util.Optional.of(
        file.getFileName()
            + " has no line for step"
            + (firstMissing == lastMissing
                ? " " + firstMissing
                : "s " + firstMissing + ".." + lastMissing)
            + " before checkpoint step "
            + step
            + " (cut or edited)");
  }

  /** The step of a complete metrics line (a whole JSON object starting with "step"), else −1. */
  private static long stepOfCompleteLine(String line) {
    java.util.regex.Matcher m = STEP.matcher(line);
    if (!m.find()) {
      return -1;
    }
    try (JsonParser p = JSON.createParser(line)) {
      while (p.nextToken() != null) {
        // reads to the end: a cut line fails here
      }
    } catch (IOException e) {
      return -1;
    }
    return Long.parseLong(m.group(1));
  }

  private static final java.util.regex.Pattern STEP =
      java.util.regex.Pattern.compile("^\\{\"step\":(-?\\d+)");
}
