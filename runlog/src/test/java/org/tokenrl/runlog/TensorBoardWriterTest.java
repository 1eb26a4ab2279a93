package org.tokenrl.runlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.PythonRunner;

class TensorBoardWriterTest {
  @TempDir Path tmp;

  private static final double[] LOSSES = {2.5, 1.75, 0.1, -0.3, 1e-8, 12345.678, 0};
  private static final String TEXT = "**sample** 1:\n`x = 2` ⇒ réponse 🙂";

  private static double[] histogramValues(int seed) {
    Random rnd = new Random(seed);
    double[] v = new double[1000];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextGaussian() * 2 - 1;
    }
    v[3] = Double.NaN; // skipped by the writer
    return v;
  }

  /** Writes scalars, two histograms and a text, the way a training run does. */
  private static void writeAll(TensorBoardWriter tb) {
    for (int i = 0; i < LOSSES.length; i++) {
      tb.scalar("train/loss", LOSSES[i], i * 10L);
      tb.scalar("reward/mean", i / 3.0, i * 10L);
    }
    tb.histogram("actor/logprobs", histogramValues(1), 0);
    tb.histogram("actor/logprobs", new double[] {4, 4, 4}, 5);
    tb.text("samples/text", TEXT, 3);
  }

  private static final String PY_READ =
      String.join(
          "\n",
          "import json, sys",
          "from tensorboard.backend.event_processing import event_accumulator as ea_mod",
          "ea = ea_mod.EventAccumulator(sys.argv[1],",
          "    size_guidance={k: 0 for k in ea_mod.DEFAULT_SIZE_GUIDANCE})",
          "ea.Reload()",
          "tags = ea.Tags()",
          "def histo(h):",
          "    return {'min': h.min, 'max': h.max, 'num': h.num, 'sum': h.sum,",
          "            'sum_squares': h.sum_squares, 'bucket_limit': list(h.bucket_limit),",
          "            'bucket': list(h.bucket)}",
          "print(json.dumps({",
          "  'scalars': {t: [[e.step, e.value, e.wall_time] for e in ea.Scalars(t)]",
          "              for t in tags['scalars']},",
          "  'histograms': {t: [[e.step, histo(e.histogram_value)] for e in ea.Histograms(t)]",
          "                 for t in tags['histograms']},",
          "  'tensors': {t: [[e.step, e.tensor_proto.dtype,",
          "                   [s.decode('utf-8') for s in e.tensor_proto.string_val]]",
          "                  for e in ea.Tensors(t)] for t in tags['tensors']},",
          "  'plugins': {t: ea.SummaryMetadata(t).plugin_data.plugin_name",
          "              for t in tags['tensors']}}))");

  @Test
  void realTensorBoardReadsFlushedEvents() throws Exception {
    Path dir = tmp.resolve("run");
    double before = System.currentTimeMillis() / 1000.0;
    JsonNode out;
    try (TensorBoardWriter tb = new TensorBoardWriter(dir)) {
      writeAll(tb);
      tb.flush(); // TensorBoard must see everything while the writer is still open
      out = new ObjectMapper().readTree(PythonRunner.run(PY_READ, dir.toString()));
    }
    double after = System.currentTimeMillis() / 1000.0;

    JsonNode scalars = out.get("scalars");
    assertEquals(2, scalars.size());
    JsonNode loss = scalars.get("train/loss");
    assertEquals(LOSSES.length, loss.size());
    for (int i = 0; i < LOSSES.length; i++) {
      assertEquals(i * 10L, loss.get(i).get(0).asLong());
      assertEquals((float) LOSSES[i], (float) loss.get(i).get(1).asDouble());
      double wallTime = loss.get(i).get(2).asDouble();
      assertTrue(wallTime >= before - 1 && wallTime <= after + 1, "wall_time " + wallTime);
    }
    assertEquals((float) (6 / 3.0), (float) scalars.get("reward/mean").get(6).get(1).asDouble());

    JsonNode histos = out.get("histograms").get("actor/logprobs");
    assertEquals(2, histos.size());
    double[] values = Arrays.stream(histogramValues(1)).filter(Double::isFinite).toArray();
    JsonNode h = histos.get(0).get(1);
    assertEquals(0, histos.get(0).get(0).asLong());
    assertEquals(values.length, h.get("num").asDouble());
    assertEquals(Arrays.stream(values).min().getAsDouble(), h.get("min").asDouble());
    assertEquals(Arrays.stream(values).max().getAsDouble(), h.get("max").asDouble());
    assertEquals(Arrays.stream(values).sum(), h.get("sum").asDouble(), 1e-9);
    assertEquals(
        Arrays.stream(values).map(v -> v * v).sum(), h.get("sum_squares").asDouble(), 1e-9);
    assertEquals(TensorBoardWriter.HISTOGRAM_BUCKETS, h.get("bucket").size());
    assertEquals(TensorBoardWriter.HISTOGRAM_BUCKETS, h.get("bucket_limit").size());
    assertBucketsMatch(values, h);

    JsonNode constant = histos.get(1).get(1);
    assertEquals(5, histos.get(1).get(0).asLong());
    assertEquals(3, constant.get("num").asDouble());
    assertEquals(12, constant.get("sum").asDouble());
    assertEquals(4, constant.get("min").asDouble());
    assertEquals(4, constant.get("max").asDouble());
    assertEquals(List.of(3.0), doubles(constant.get("bucket")));

    JsonNode text = out.get("tensors").get("samples/text");
    assertEquals(1, text.size());
    assertEquals(3, text.get(0).get(0).asLong());
    assertEquals(7, text.get(0).get(1).asInt(), "dtype should be DT_STRING");
    assertEquals(TEXT, text.get(0).get(2).get(0).asText());
    assertEquals("text", out.get("plugins").get("samples/text").asText());
  }

  /** Each value falls in the bucket whose [previous limit, limit) holds it (top one closed). */
  private static void assertBucketsMatch(double[] values, JsonNode h) {
    List<Double> limits = doubles(h.get("bucket_limit"));
    List<Double> counts = doubles(h.get("bucket"));
    double[] expected = new double[limits.size()];
    for (double v : values) {
      int i = 0;
      while (i < limits.size() - 1 && v >= limits.get(i)) {
        i++;
      }
      expected[i]++;
    }
    assertEquals(values.length, counts.stream().mapToDouble(Double::doubleValue).sum());
    for (int i = 0; i < expected.length; i++) {
      // a value within rounding of a limit may land on either side
      assertEquals(expected[i], counts.get(i), 1, "bucket " + i);
    }
    assertEquals(h.get("max").asDouble(), limits.get(limits.size() - 1));
  }

  private static List<Double> doubles(JsonNode array) {
    List<Double> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asDouble()));
    return out;
  }

  @Test
  void fileNameAndRecordFramingAreValid() throws Exception {
    Path file;
    try (TensorBoardWriter tb = new TensorBoardWriter(tmp)) {
      writeAll(tb);
      file = tb.file();
    }
    String name = file.getFileName().toString();
    String host = InetAddress.getLocalHost().getHostName();
    assertTrue(
        name.matches("events\\.out\\.tfevents\\.\\d+\\..+\\." + ProcessHandle.current().pid()),
        name);
    assertTrue(name.contains(host.replaceAll("[^A-Za-z0-9._-]", "_")), name);
    long secs = Long.parseLong(name.split("\\.")[3]);
    assertTrue(Math.abs(secs - System.currentTimeMillis() / 1000) < 60, name);

    List<byte[]> records = readRecords(Files.readAllBytes(file));
    assertEquals(1 + 2 * LOSSES.length + 2 + 1, records.size());
    // Event.file_version (field 3) in the first record, then steps (field 2) in write order
    assertEquals(TensorBoardWriter.FILE_VERSION, stringField(records.get(0), 3));
    assertEquals(0L, varintField(records.get(0), 2));
    assertEquals(10L, varintField(records.get(3), 2));
    assertEquals(3L, varintField(records.get(records.size() - 1), 2));
  }

  @Test
  void ownReaderDetectsCorruption() throws Exception {
    Path file;
    try (TensorBoardWriter tb = new TensorBoardWriter(tmp)) {
      tb.scalar("a", 1, 1);
      file = tb.file();
    }
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(2, readRecords(bytes).size());
    byte[] corrupt = bytes.clone();
    corrupt[corrupt.length - 6] ^= 1; // inside the last event's data
    assertThrows(AssertionError.class, () -> readRecords(corrupt));
  }

  @Test
  void writersInOneDirectoryGetDistinctFiles() throws IOException {
    try (TensorBoardWriter a = new TensorBoardWriter(tmp);
        TensorBoardWriter b = new TensorBoardWriter(tmp)) {
      assertNotEquals(a.file(), b.file());
      b.scalar("x", 2, 0);
    }
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(2, files.filter(p -> p.toString().contains("tfevents")).count());
    }
  }

  @Test
  void rejectsUseAfterCloseAndEmptyTags() {
    TensorBoardWriter tb = new TensorBoardWriter(tmp);
    assertThrows(IllegalArgumentException.class, () -> tb.scalar("", 1, 0));
    tb.close();
    tb.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> tb.scalar("x", 1, 0));
  }

  @Test
  void scalarCost() {
    try (TensorBoardWriter tb = new TensorBoardWriter(tmp)) {
      int n = 200_000;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        tb.scalar("perf/x", i, i);
      }
      tb.flush();
      double micros = (System.nanoTime() - t0) / 1e3 / n;
      System.out.printf("TensorBoardWriter: %.2f us per scalar%n", micros);
      assertTrue(micros < 100, "a scalar should cost microseconds, took " + micros + " us");
    }
  }

  // ------------------------------------------------------------- our own TFRecord reader

  /** Splits TFRecord framing, checking both masked CRC32Cs of every record. */
  static List<byte[]> readRecords(byte[] file) {
    ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    List<byte[]> records = new ArrayList<>();
    while (in.hasRemaining()) {
      byte[] header = new byte[8];
      in.get(header);
      int headerCrc = in.getInt();
      if (headerCrc != masked(header)) {
        throw new AssertionError("header CRC mismatch in record " + records.size());
      }
      long length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong();
      byte[] data = new byte[Math.toIntExact(length)];
      in.get(data);
      if (in.getInt() != masked(data)) {
        throw new AssertionError("data CRC mismatch in record " + records.size());
      }
      records.add(data);
    }
    return records;
  }

  private static int masked(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    long c = crc.getValue();
    return (int) ((((c >>> 15) | (c << 17)) + 0xa282ead8L) & 0xffffffffL);
  }

  /** Value of the first varint field {@code field} of a message, or -1. */
  private static long varintField(byte[] msg, int field) {
    Object v = field(msg, field);
    return v instanceof Long l ? l : -1;
  }

  private static String stringField(byte[] msg, int field) {
    Object v = field(msg, field);
    return v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : null;
  }

  /** Minimal protobuf field scan: varint as Long, length-delimited as byte[], fixed skipped. */
  private static Object field(byte[] msg, int wanted) {
    int[] pos = {0};
    while (pos[0] < msg.length) {
      long key = readVarint(msg, pos);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      Object value;
      switch (wire) {
        case 0 -> value = readVarint(msg, pos);
        case 1 -> {
          pos[0] += 8;
          value = null;
        }
        case 2 -> {
          int len = (int) readVarint(msg, pos);
          value = Arrays.copyOfRange(msg, pos[0], pos[0] + len);
          pos[0] += len;
        }
        case 5 -> {
          pos[0] += 4;
          value = null;
        }
        default -> throw new AssertionError("bad wire type " + wire);
      }
      if (field == wanted) {
        return value;
      }
    }
    return null;
  }

  private static long readVarint(byte[] b, int[] pos) {
    long result = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b[pos[0]++];
      result |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return result;
      }
    }
  }
}
