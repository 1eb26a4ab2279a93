package org.tokenrl.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reader and writer of the safetensors format for float32 tensors: an 8-byte little-endian header
 * length, a JSON header {@code {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin,
 * end]}, "__metadata__": {string: string}}} padded with spaces to a multiple of 8 bytes, then the
 * little-endian tensor bytes (offsets relative to the end of the header).
 */
public final class SafeTensors {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String METADATA = "__metadata__";

  private SafeTensors() {}

  /** Tensors in file order with their shapes, and the string metadata. */
  public record Contents(
      LinkedHashMap<String, float[]> tensors,
      Map<String, long[]> shapes,
      Map<String, String> metadata) {}

  /** Writes and fsyncs {@code path}; every tensor needs a shape whose product is its length. */
  public static void write(
      Path path,
      LinkedHashMap<String, float[]> tensors,
      Map<String, long[]> shapes,
      Map<String, String> metadata)
      throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = header.putObject(METADATA);
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, float[]> e : tensors.entrySet()) {
      long[] shape = shapes.get(e.getKey());
      if (shape == null || product(shape) != e.getValue().length) {
        throw new IllegalArgumentException(
            "tensor '"
                + e.getKey()
                + "' has "
                + e.getValue().length
                + " values but shape "
                + java.util.Arrays.toString(shape));
      }
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      ArrayNode s = t.putArray("shape");
      for (long dim : shape) {
        s.add(dim);
      }
      long end = offset + 4L * e.getValue().length;
      t.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();
    try (FileChannel ch =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      writeFully(ch, head);
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (float[] values : tensors.values()) {
        for (float x : values) {
          if (!buf.hasRemaining()) {
            buf.flip();
            writeFully(ch, buf);
            buf.clear();
          }
          buf.putFloat(x);
        }
      }
      buf.flip();
      writeFully(ch, buf);
      ch.force(true);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** Reads a float32 safetensors file; other dtypes or inconsistent offsets are errors. */
  public static Contents read(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, path);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen < 2 || headerLen > size - 8 || headerLen > Integer.MAX_VALUE) {
        throw new IOException(path + ": not a safetensors file (header length " + headerLen + ")");
      }
      ByteBuffer headBuf = ByteBuffer.allocate((int) headerLen);
      readFully(ch, headBuf, path);
      JsonNode header = JSON.readTree(new String(headBuf.array(), StandardCharsets.UTF_8).trim());
      long dataStart = 8 + headerLen;
      LinkedHashMap<String, float[]> tensors = new LinkedHashMap<>();
      Map<String, long[]> shapes = new LinkedHashMap<>();
      Map<String, String> metadata = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals(METADATA)) {
          e.getValue()
              .fields()
              .forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
          continue;
        }
        JsonNode t = e.getValue();
        if (!"F32".equals(t.path("dtype").asText())) {
          throw new IOException(
              path
                  + ": tensor '"
                  + e.getKey()
                  + "' has dtype "
                  + t.path("dtype")
                  + "; only F32 is supported");
        }
        long[] shape = new long[t.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = t.path("shape").get(i).asLong();
        }
        long begin = t.path("data_offsets").get(0).asLong();
        long end = t.path("data_offsets").get(1).asLong();
        if (end - begin != 4 * product(shape) || begin < 0 || dataStart + end > size) {
          throw new IOException(
              path + ": tensor '" + e.getKey() + "' has inconsistent data_offsets/shape");
        }
        ByteBuffer data = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
        ch.position(dataStart + begin);
        readFully(ch, data, path);
        float[] values = new float[(int) product(shape)];
        data.flip().asFloatBuffer().get(values);
        tensors.put(e.getKey(), values);
        shapes.put(e.getKey(), shape);
      }
      return new Contents(tensors, shapes, metadata);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, Path path) throws IOException {
    while (buf.hasRemaining()) {
      if (ch.read(buf) < 0) {
        throw new IOException(path + ": truncated safetensors file");
      }
    }
  }

  private static long product(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }
}
