package org.tokenrl.runlog;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Writes TensorBoard event files without TensorFlow: each event is a hand-encoded {@code Event}
 * protobuf in a TFRecord frame (little-endian uint64 length, masked CRC32C of the length, data,
 * masked CRC32C of the data). The first record carries {@code file_version = "brain.Event:2"}.
 *
 * <p>Creates {@code <logDir>/events.out.tfevents.<secs>.<host>.<pid>} (TensorBoard only reads files
 * whose name contains "tfevents"). Thread-safe. Events are buffered: call {@link #flush()} to make
 * them visible to a running TensorBoard, and {@link #close()} at the end.
 *
 * <p>Field numbers follow tensorflow/core/util/event.proto, framework/summary.proto and
 * framework/tensor.proto.
 */
public final class TensorBoardWriter implements AutoCloseable {
  static final String FILE_VERSION = "brain.Event:2";

  /** Equal-width buckets per histogram (TensorBoard's own summary API defaults to 30). */
  static final int HISTOGRAM_BUCKETS = 30;

  private static final int DT_FLOAT = 1; // tensorflow DataType enum
  private static final int DT_STRING = 7;

  private final Path file;
  private final OutputStream out;
  private final FileChannel channel;
  private boolean closed;

  /** Creates {@code logDir} if needed and a new events file in it. */
  public TensorBoardWriter(Path logDir) {
    try {
      Files.createDirectories(logDir);
      String base =
          "events.out.tfevents."
              + System.currentTimeMillis() / 1000
              + "."
              + hostName()
              + "."
              + ProcessHandle.current().pid();
      Path candidate = logDir.resolve(base);
      FileChannel ch = null;
      // Two writers started in the same second in one process would collide: number the later.
      for (int n = 1; ch == null; n++) {
        try {
          ch = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
          candidate = logDir.resolve(base + "." + n);
        }
      }
      this.file = candidate;
      this.channel = ch;
      this.out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
      writeEvent(event(0).string(3, FILE_VERSION));
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a TensorBoard events file in " + logDir, e);
    }
  }

  /** The events file this writer appends to. */
  public Path file() {
    return file;
  }

  /** A scalar; TensorBoard stores it as a float ({@code simple_value}). */
  public synchronized void scalar(String tag, double value, long step) {
    Protobuf summaryValue = new Protobuf().string(1, checkTag(tag)).fixed32(2, (float) value);
    writeSummary(summaryValue, step);
  }

  /**
   * A histogram of {@code values} in {@value #HISTOGRAM_BUCKETS} equal-width buckets over [min,
   * max]. NaN and infinite values are left out (a diverging run still logs the rest); with no
   * finite value the histogram is empty.
   */
  public synchronized void histogram(String tag, double[] values, long step) {
    int num = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    double sumSquares = 0;
    for (double v : values) {
      if (Double.isFinite(v)) {
        num++;
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
        sumSquares += v * v;
      }
    }
    Protobuf histo = new Protobuf();
    if (num == 0) {
      histo.fixed64(1, 0).fixed64(2, 0).fixed64(3, 0).fixed64(4, 0).fixed64(5, 0);
    } else {
      // TensorFlow's convention: bucket i counts values in [limit[i-1], limit[i]); the top
      // bucket also takes max itself. All-equal values make a single bucket.
      int buckets = min == max ? 1 : HISTOGRAM_BUCKETS;
      double width = (max - min) / buckets;
      double[] limits = new double[buckets];
      double[] counts = new double[buckets];
      for (int i = 0; i < buckets - 1; i++) {
        limits[i] = min + (i + 1) * width;
      }
      limits[buckets - 1] = max;
      for (double v : values) {
        if (Double.isFinite(v)) {
          int i = buckets == 1 ? 0 : (int) ((v - min) / width);
          counts[Math.min(Math.max(i, 0), buckets - 1)]++;
        }
      }
      histo
          .fixed64(1, min)
          .fixed64(2, max)
          .fixed64(3, num)
          .fixed64(4, sum)
          .fixed64(5, sumSquares)
          .packedDoubles(6, limits)
          .packedDoubles(7, counts);
    }
    writeSummary(new Protobuf().string(1, checkTag(tag)).message(5, histo), step);
  }

  /** Text for TensorBoard's Text tab (rendered as markdown). */
  public synchronized void text(String tag, String text, long step) {
    stringTensor(tag, "text", text.getBytes(StandardCharsets.UTF_8), step);
  }

  /**
   * A scalar string tensor holding {@code value}, tagged for {@code pluginName}: the text plugin's
   * markdown, or the custom-scalars plugin's serialized {@code Layout} ({@link CustomScalars}).
   */
  public synchronized void stringTensor(String tag, String pluginName, byte[] value, long step) {
    Protobuf tensor =
        new Protobuf()
            .varint(1, DT_STRING)
            .message(2, new Protobuf()) // scalar shape
            .bytes(8, value);
    Protobuf metadata = new Protobuf().message(1, new Protobuf().string(1, pluginName));
    writeSummary(
        new Protobuf().string(1, checkTag(tag)).message(8, tensor).message(9, metadata), step);
  }

  /**
   * A summary whose data lives in its metadata, as TensorBoard's hparams plugin expects: an empty
   * float tensor (shape [0]) with {@code plugin_data {plugin_name, content}}. TensorBoard keeps the
   * first metadata it sees for a (run, tag), so such a tag is written once per run.
   */
  public synchronized void pluginData(String tag, String pluginName, byte[] content, long step) {
    Protobuf emptyTensor =
        new Protobuf()
            .varint(1, DT_FLOAT)
            .message(2, new Protobuf().message(2, new Protobuf().varint(1, 0))); // dim {size: 0}
    Protobuf metadata =
        new Protobuf().message(1, new Protobuf().string(1, pluginName).bytes(2, content));
    writeSummary(
        new Protobuf().string(1, checkTag(tag)).message(8, emptyTensor).message(9, metadata), step);
  }

  public synchronized void flush() {
    checkOpen();
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot flush TensorBoard events file " + file, e);
    }
  }

  /** Flushes and fsyncs: every event written so far survives a crash or power loss. */
  public synchronized void sync() {
    flush();
    try {
      channel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot sync TensorBoard events file " + file, e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close TensorBoard events file " + file, e);
    }
  }

  /**
   * Removes from the events files in {@code dir}, other than {@code keep}, every record that holds
   * {@code tag}. A resumed run drops its earlier session-end status this way: TensorBoard keeps the
   * first metadata it reads for a tag, so the old status would otherwise hide the new one.
   */
  static void removeTag(Path dir, Path keep, String tag) {
    byte[] needle = tag.getBytes(StandardCharsets.UTF_8);
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().contains("tfevents")).toList()) {
        if (f.equals(keep)) {
          continue;
        }
        byte[] all = Files.readAllBytes(f);
        ByteArrayOutputStream kept = new ByteArrayOutputStream(all.length);
        boolean changed = false;
        int pos = 0;
        while (pos + 12 <= all.length) {
          long length = 0;
          for (int i = 7; i >= 0; i--) {
            length = length << 8 | (all[pos + i] & 0xFF);
          }
          int end = (int) Math.min(all.length, pos + 12 + length + 4);
          if (contains(all, pos + 12, (int) Math.min(length, all.length - pos - 12), needle)) {
            changed = true;
          } else {
            kept.write(all, pos, end - pos);
          }
          pos = end;
        }
        kept.write(all, pos, all.length - pos); // a torn last record stays as it was
        if (changed) {
          Files.write(f, kept.toByteArray());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite TensorBoard events files in " + dir, e);
    }
  }

  private static boolean contains(byte[] b, int from, int length, byte[] needle) {
    outer:
    for (int i = from; i + needle.length <= from + length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (b[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- encoding

  private static Protobuf event(long step) {
    return new Protobuf().fixed64(1, System.currentTimeMillis() / 1000.0).varint(2, step);
  }

  private void writeSummary(Protobuf summaryValue, long step) {
    checkOpen();
    try {
      writeEvent(event(step).message(5, new Protobuf().message(1, summaryValue)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to TensorBoard events file " + file, e);
    }
  }

  /** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
  private void writeEvent(Protobuf event) throws IOException {
    byte[] data = event.toByteArray();
    byte[] header = new byte[12];
    putLittleEndian(header, 0, data.length, 8);
    putLittleEndian(header, 8, maskedCrc32c(header, 0, 8), 4);
    byte[] footer = new byte[4];
    putLittleEndian(footer, 0, maskedCrc32c(data, 0, data.length), 4);
    out.write(header);
    out.write(data);
    out.write(footer);
  }

  /** TFRecord's masked CRC32C; the mask keeps CRCs of data that embeds CRCs well-behaved. */
  private static int maskedCrc32c(byte[] b, int offset, int length) {
    CRC32C crc32c = new CRC32C();
    crc32c.update(b, offset, length);
    int crc = (int) crc32c.getValue();
    return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
  }

  private static void putLittleEndian(byte[] b, int offset, long value, int bytes) {
    for (int i = 0; i < bytes; i++) {
      b[offset + i] = (byte) (value >>> (8 * i));
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("TensorBoardWriter for " + file + " is closed");
    }
  }

  private static String checkTag(String tag) {
    if (tag == null || tag.isEmpty()) {
      throw new IllegalArgumentException("a TensorBoard tag must be a non-empty string");
    }
    return tag;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "_");
    } catch (IOException e) {
      return "localhost";
    }
  }
}
