package org.tokenrl.trainer;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.io.UncheckedIOException;
import java.net.InetAddress;
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
 * <p>Creates {@code <logDir>/events.out.tfevents.<secs>.<host>.<pid>} (TensorBoard only reads
 * files whose name contains "tfevents"). Thread-safe. Events are buffered: call {@link #flush()}
 * to make them visible to a running TensorBoard, and {@link #close()} at the end.
 *
 * <p>Field numbers follow tensorflow/core/util/event.proto, framework/summary.proto and
 * framework/tensor.proto.
 */
public final class TensorBoardWriter implements AutoCloseable {
  static final String FILE_VERSION = "brain.Event:2";
  /** Equal-width buckets per histogram (TensorBoard's own summary API defaults to 30). */
  static final int HISTOGRAM_BUCKETS = 30;

  private static final int DT_STRING = 7; // tensorflow DataType enum

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
    Proto summaryValue = new Proto().string(1, checkTag(tag)).fixed32(2, (float) value);
    writeSummary(summaryValue, step);
  }

  /**
   * A histogram of {@code values} in {@value #HISTOGRAM_BUCKETS} equal-width buckets over
   * [min, max]. NaN and infinite values are left out (a diverging run still logs the rest); with
   * no finite value the histogram is empty.
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
    Proto histo = new Proto();
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
    writeSummary(new Proto().string(1, checkTag(tag)).message(5, histo), step);
  }

  /** Text for TensorBoard's Text tab (rendered as markdown). */
  public synchronized void text(String tag, String text, long step) {
    Proto tensor =
        new Proto()
            .varint(1, DT_STRING)
            .message(2, new Proto()) // scalar shape
            .bytes(8, text.getBytes(StandardCharsets.UTF_8));
    Proto metadata = new Proto().message(1, new Proto().string(1, "text"));
    writeSummary(
        new Proto().string(1, checkTag(tag)).message(8, tensor).message(9, metadata), step);
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

  // ---------------------------------------------------------------- encoding

  private static Proto event(long step) {
    return new Proto().fixed64(1, System.currentTimeMillis() / 1000.0).varint(2, step);
  }

  private void writeSummary(Proto summaryValue, long step) {
    checkOpen();
    try {
      writeEvent(event(step).message(5, new Proto().message(1, summaryValue)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to TensorBoard events file " + file, e);
    }
  }

  /** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
  private void writeEvent(Proto event) throws IOException {
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

  /** The few protobuf wire-format pieces an Event needs. */
  private static final class Proto {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

    Proto varint(int field, long value) {
      tag(field, 0);
      rawVarint(value);
      return this;
    }

    Proto fixed64(int field, double value) {
      tag(field, 1);
      rawLittleEndian(Double.doubleToRawLongBits(value), 8);
      return this;
    }

    Proto fixed32(int field, float value) {
      tag(field, 5);
      rawLittleEndian(Float.floatToRawIntBits(value), 4);
      return this;
    }

    Proto bytes(int field, byte[] value) {
      tag(field, 2);
      rawVarint(value.length);
      buf.writeBytes(value);
      return this;
    }

    Proto string(int field, String value) {
      return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, Proto value) {
      return bytes(field, value.toByteArray());
    }

    Proto packedDoubles(int field, double[] values) {
      tag(field, 2);
      rawVarint(8L * values.length);
      for (double v : values) {
        rawLittleEndian(Double.doubleToRawLongBits(v), 8);
      }
      return this;
    }

    byte[] toByteArray() {
      return buf.toByteArray();
    }

    private void tag(int field, int wireType) {
      rawVarint((long) field << 3 | wireType);
    }

    private void rawVarint(long value) {
      while ((value & ~0x7FL) != 0) {
        buf.write((int) ((value & 0x7F) | 0x80));
        value >>>= 7;
      }
      buf.write((int) value);
    }

    private void rawLittleEndian(long value, int bytes) {
      for (int i = 0; i < bytes; i++) {
        buf.write((int) (value >>> (8 * i)));
      }
    }
  }
}
