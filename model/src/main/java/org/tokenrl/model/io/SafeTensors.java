package org.tokenrl.model.io;

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
 * Reader and writer of the safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
 * {string: string}}} padded with spaces to a multiple of 8 bytes, then the little-endian tensor
 * bytes (offsets relative to the end of the header). Reads F32, F16 and BF16 into float32 (the
 * dtypes Hugging Face checkpoints ship); writes F32, F16 or BF16. A Hugging Face model sharded over
 * several files ({@code model.safetensors.index.json}) reads with {@link #readModel}.
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

  /** Element types this class reads and writes; the name is the header's {@code dtype}. */
  public enum DType {
    F32(4),
    F16(2),
    BF16(2);

    final int bytes;

    DType(int bytes) {
      this.bytes = bytes;
    }
  }

  /** Writes float32 tensors and fsyncs {@code path}. */
  public static void write(
      Path path,
      LinkedHashMap<String, float[]> tensors,
      Map<String, long[]> shapes,
      Map<String, String> metadata)
      throws IOException {
    write(path, tensors, shapes, metadata, DType.F32);
  }

  /**
   * Writes and fsyncs {@code path}, every tensor stored as {@code dtype} (F16/BF16 round to
   * nearest, ties to even); every tensor needs a shape whose product is its length.
   */
  public static void write(
      Path path,
      LinkedHashMap<String, float[]> tensors,
      Map<String, long[]> shapes,
      Map<String, String> metadata,
      DType dtype)
      throws IOException {
    ObjectNode header = header(tensors, shapes, metadata, dtype);
    try (FileChannel ch =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      writeTo(ch, header, tensors, dtype);
      ch.force(true);
    }
  }

  /**
   * The same file as bytes in memory (float32): how weights travel through Ray's object store, so
   * what a rollout actor receives is a standard safetensors file any tool can read.
   */
  public static byte[] toBytes(
      LinkedHashMap<String, float[]> tensors,
      Map<String, long[]> shapes,
      Map<String, String> metadata) {
    ObjectNode header = header(tensors, shapes, metadata, DType.F32);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      writeTo(java.nio.channels.Channels.newChannel(out), header, tensors, DType.F32);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // memory only: not expected
    }
    return out.toByteArray();
  }

  /** The JSON header: metadata, then each tensor's dtype, shape and data offsets in order. */
  private static ObjectNode header(
      LinkedHashMap<String, float[]> tensors,
      Map<String, long[]> shapes,
      Map<String, String> metadata,
      DType dtype) {
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
      t.put("dtype", dtype.name());
      ArrayNode s = t.putArray("shape");
      for (long dim : shape) {
        s.add(dim);
      }
      long end = offset + (long) dtype.bytes * e.getValue().length;
      t.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    return header;
  }

  private static void writeTo(
      java.nio.channels.WritableByteChannel ch,
      ObjectNode header,
      LinkedHashMap<String, float[]> tensors,
      DType dtype)
      throws IOException {
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();
    writeFully(ch, head);
    ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] values : tensors.values()) {
      for (float x : values) {
        if (!buf.hasRemaining()) {
          buf.flip();
          writeFully(ch, buf);
          buf.clear();
        }
        switch (dtype) {
          case F32 -> buf.putFloat(x);
          case F16 -> buf.putShort(HalfFloats.floatToFp16(x));
          case BF16 -> buf.putShort(HalfFloats.floatToBf16(x));
        }
      }
    }
    buf.flip();
    writeFully(ch, buf);
  }

  private static void writeFully(java.nio.channels.WritableByteChannel ch, ByteBuffer buf)
      throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /**
   * Reads every tensor of a safetensors file into float32. A file that is not safetensors, is
   * truncated, or holds another dtype is an IOException whose message names the file.
   */
  public static Contents read(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return parse(
          path.toString(),
          ch.size(),
          (offset, length) ->
              ch.map(FileChannel.MapMode.READ_ONLY, offset, length).order(ByteOrder.LITTLE_ENDIAN));
    }
  }

  /** Reads {@link #toBytes}'s output (any float32/16 safetensors bytes); {@code what} names it. */
  public static Contents fromBytes(byte[] bytes, String what) throws IOException {
    return parse(
        what,
        bytes.length,
        (offset, length) ->
            ByteBuffer.wrap(bytes, (int) offset, (int) length)
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN));
  }

  /** A byte range of a file or an array. */
  private interface Bytes {
    ByteBuffer range(long offset, long length) throws IOException;
  }

  private static Contents parse(String what, long size, Bytes bytes) throws IOException {
    if (size < 8) {
      throw new IOException(what + ": not a safetensors file (only " + size + " bytes)");
    }
    long headerLen = bytes.range(0, 8).getLong();
    if (headerLen < 2 || headerLen > size - 8 || headerLen > Integer.MAX_VALUE) {
      throw new IOException(
          what
              + ": not a safetensors file or truncated (header length "
              + headerLen
              + ", file size "
              + size
              + ")");
    }
    ByteBuffer headBuf = bytes.range(8, headerLen);
    byte[] head = new byte[(int) headerLen];
    headBuf.get(head);
    JsonNode header;
    try {
      header = JSON.readTree(new String(head, StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      throw new IOException(what + ": not a safetensors file (header is not JSON)");
    }
    if (header == null || !header.isObject()) {
      throw new IOException(what + ": not a safetensors file (header is not a JSON object)");
    }
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
      String name = e.getKey();
      JsonNode t = e.getValue();
      DType dtype = dtypeOf(what, name, t.path("dtype").asText());
      long[] shape = new long[t.path("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = t.path("shape").get(i).asLong();
      }
      long count = product(shape);
      long begin = t.path("data_offsets").path(0).asLong(-1);
      long end = t.path("data_offsets").path(1).asLong(-1);
      if (begin < 0 || end - begin != dtype.bytes * count || count > Integer.MAX_VALUE) {
        throw new IOException(what + ": tensor '" + name + "' has inconsistent data_offsets/shape");
      }
      if (dataStart + end > size) {
        throw new IOException(
            what
                + ": truncated safetensors file (tensor '"
                + name
                + "' ends at byte "
                + (dataStart + end)
                + ", file has "
                + size
                + ")");
      }
      tensors.put(name, decode(bytes.range(dataStart + begin, end - begin), dtype, (int) count));
      shapes.put(name, shape);
    }
    return new Contents(tensors, shapes, metadata);
  }

  /**
   * Reads a Hugging Face model's weights: {@code model.safetensors}, or the shards that {@code
   * model.safetensors.index.json}'s {@code weight_map} lists, merged in shard order.
   */
  public static Contents readModel(Path dir) throws IOException {
    Path single = dir.resolve("model.safetensors");
    Path index = dir.resolve("model.safetensors.index.json");
    if (!java.nio.file.Files.exists(index)) {
      if (!java.nio.file.Files.exists(single)) {
        throw new IOException(dir + ": no model.safetensors or model.safetensors.index.json");
      }
      return read(single);
    }
    JsonNode map;
    try {
      map = JSON.readTree(index.toFile()).path("weight_map");
    } catch (IOException e) {
      throw new IOException(index + ": not valid JSON");
    }
    if (!map.isObject() || map.isEmpty()) {
      throw new IOException(index + ": no weight_map");
    }
    java.util.LinkedHashSet<String> shards = new java.util.LinkedHashSet<>();
    map.fields().forEachRemaining(f -> shards.add(f.getValue().asText()));
    LinkedHashMap<String, float[]> tensors = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (String shard : shards) {
      Contents part = read(dir.resolve(shard));
      for (String name : part.tensors().keySet()) {
        if (!shard.equals(map.path(name).asText())) {
          throw new IOException(
              dir.resolve(shard)
                  + ": tensor '"
                  + name
                  + "' is not assigned to this shard in "
                  + index.getFileName());
        }
      }
      tensors.putAll(part.tensors());
      shapes.putAll(part.shapes());
      metadata.putAll(part.metadata());
    }
    for (Iterator<String> it = map.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!tensors.containsKey(name)) {
        throw new IOException(
            index + ": tensor '" + name + "' is missing from " + map.path(name).asText());
      }
    }
    return new Contents(tensors, shapes, metadata);
  }

  private static DType dtypeOf(String path, String tensor, String dtype) throws IOException {
    for (DType d : DType.values()) {
      if (d.name().equals(dtype)) {
        return d;
      }
    }
    throw new IOException(
        path + ": tensor '" + tensor + "' has dtype " + dtype + "; supported: F32, F16, BF16");
  }

  private static float[] decode(ByteBuffer data, DType dtype, int count) {
    float[] values = new float[count];
    switch (dtype) {
      case F32 -> data.asFloatBuffer().get(values);
      case F16 -> {
        for (int i = 0; i < count; i++) {
          values[i] = HalfFloats.fp16ToFloat(data.getShort(2 * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          values[i] = HalfFloats.bf16ToFloat(data.getShort(2 * i));
        }
      }
    }
    return values;
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
