package org.tokenrl.model.io;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (version 2 or 3, little-endian), as llama.cpp writes it: the magic {@code GGUF}, a
 * version, tensor and metadata counts, the metadata key/value pairs, the tensor table (name,
 * dimensions fastest-first, ggml type, offset into the data section), padding to {@code
 * general.alignment} (32 when absent), then the tensor data. Tensors are dequantised to float32 on
 * request; the table is read once and kept.
 *
 * @param path the file
 * @param version GGUF version
 * @param metadata key to value: Long (all integer types), Double (floats), Boolean, String, or a
 *     List of those (arrays)
 * @param tensors the tensor table in file order
 * @param dataStart byte offset of the data section
 */
public record Gguf(
    Path path,
    int version,
    Map<String, Object> metadata,
    List<TensorInfo> tensors,
    long dataStart) {
  private static final int MAGIC = 0x46554747; // "GGUF" read little-endian

  /**
   * One row of the tensor table.
   *
   * @param dims GGUF order, fastest-varying first: a [out, in] matrix is listed as {in, out}
   * @param type the ggml type
   * @param offset from the start of the data section
   */
  public record TensorInfo(String name, long[] dims, GgmlType type, long offset) {
    public long elements() {
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      return n;
    }

    /** Shape in row-major order (slowest first), as PyTorch and safetensors list it. */
    public long[] rowMajorShape() {
      long[] shape = new long[dims.length];
      for (int i = 0; i < dims.length; i++) {
        shape[i] = dims[dims.length - 1 - i];
      }
      return shape;
    }

    long byteSize() {
      return type.byteSize(elements());
    }
  }

  /**
   * The ggml element types we know by id. Only those with a block layout here can be read; the
   * others are named so the error says which type a file uses.
   */
  public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66);

    final int id;
    final int blockValues;
    final int blockBytes;

    GgmlType(int id, int blockValues, int blockBytes) {
      this.id = id;
      this.blockValues = blockValues;
      this.blockBytes = blockBytes;
    }

    long byteSize(long elements) {
      return elements / blockValues * blockBytes;
    }

    boolean readable() {
      return this == F32
          || this == F16
          || this == BF16
          || this == Q8_0
          || this == Q4_0
          || this == Q4_1;
    }

    static GgmlType of(int id) {
      for (GgmlType t : values()) {
        if (t.id == id) {
          return t;
        }
      }
      return null;
    }
  }

  /** Reads the header, metadata and tensor table; errors name the file. */
  public static Gguf open(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      // Headers are megabytes (SmolLM2's vocabulary and merges: 1.8 MB); map at most 512 MB of it.
      ByteBuffer buf =
          ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, 1L << 29))
              .order(ByteOrder.LITTLE_ENDIAN);
      try {
        return parse(path, size, buf);
      } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
        throw new IOException(path + ": truncated GGUF file (header ends early)");
      }
    }
  }

  private static Gguf parse(Path path, long size, ByteBuffer buf) throws IOException {
    if (size < 24 || buf.getInt() != MAGIC) {
      throw new IOException(path + ": not a GGUF file (no GGUF magic)");
    }
    int version = buf.getInt();
    if (version != 2 && version != 3) {
      throw new IOException(path + ": GGUF version " + version + " is not supported (2 or 3)");
    }
    long tensorCount = buf.getLong();
    long kvCount = buf.getLong();
    if (tensorCount < 0 || tensorCount > 1_000_000 || kvCount < 0 || kvCount > 1_000_000) {
      throw new IOException(
          path + ": corrupt GGUF header (" + tensorCount + " tensors, " + kvCount + " keys)");
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    for (long i = 0; i < kvCount; i++) {
      String key = string(buf, path);
      int type = buf.getInt();
      metadata.put(key, value(buf, type, path, key));
    }
    List<TensorInfo> tensors = new ArrayList<>();
    for (long i = 0; i < tensorCount; i++) {
      String name = string(buf, path);
      int nDims = buf.getInt();
      if (nDims < 1 || nDims > 4) {
        throw new IOException(path + ": tensor '" + name + "' has " + nDims + " dimensions");
      }
      long[] dims = new long[nDims];
      for (int d = 0; d < nDims; d++) {
        dims[d] = buf.getLong();
        if (dims[d] < 1) {
          throw new IOException(path + ": tensor '" + name + "' has dimension " + dims[d]);
        }
      }
      int typeId = buf.getInt();
      GgmlType type = GgmlType.of(typeId);
      if (type == null) {
        throw new IOException(path + ": tensor '" + name + "' has unknown ggml type id " + typeId);
      }
      tensors.add(new TensorInfo(name, dims, type, buf.getLong()));
    }
    long alignment = 32;
    Object a = metadata.get("general.alignment");
    if (a instanceof Long n) {
      alignment = n;
      if (alignment < 1 || Long.bitCount(alignment) != 1) {
        throw new IOException(path + ": general.alignment " + alignment + " is not a power of 2");
      }
    }
    long dataStart = (buf.position() + alignment - 1) / alignment * alignment;
    for (TensorInfo t : tensors) {
      if (t.elements() % t.type.blockValues != 0) {
        throw new IOException(
            path
                + ": tensor '"
                + t.name
                + "' has "
                + t.elements()
                + " values, not a whole number"
                + " of "
                + t.type
                + " blocks");
      }
      long end = dataStart + t.offset + t.byteSize();
      if (t.offset < 0 || t.offset % alignment != 0) {
        throw new IOException(path + ": tensor '" + t.name + "' has misaligned offset " + t.offset);
      }
      if (end > size) {
        throw new IOException(
            path
                + ": truncated GGUF file (tensor '"
                + t.name
                + "' ends at byte "
                + end
                + ", file has "
                + size
                + ")");
      }
    }
    return new Gguf(
        path,
        version,
        Collections.unmodifiableMap(metadata),
        Collections.unmodifiableList(tensors),
        dataStart);
  }

  private static String string(ByteBuffer buf, Path path) throws IOException {
    long len = buf.getLong();
    if (len < 0 || len > buf.remaining()) {
      throw new IOException(
          path + ": truncated or corrupt GGUF file (string of length " + len + ")");
    }
    byte[] bytes = new byte[(int) len];
    buf.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static Object value(ByteBuffer buf, int type, Path path, String key) throws IOException {
    return switch (type) {
      case 0 -> (long) (buf.get() & 0xff);
      case 1 -> (long) buf.get();
      case 2 -> (long) (buf.getShort() & 0xffff);
      case 3 -> (long) buf.getShort();
      case 4 -> buf.getInt() & 0xffffffffL;
      case 5 -> (long) buf.getInt();
      // float32 keys (rms eps 1e-5) read as their shortest decimal, as config.json states them.
      case 6 -> Double.parseDouble(Float.toString(buf.getFloat()));
      case 7 -> buf.get() != 0;
      case 8 -> string(buf, path);
      case 9 -> {
        int elementType = buf.getInt();
        long n = buf.getLong();
        if (n < 0 || n > buf.remaining()) {
          throw new IOException(path + ": corrupt GGUF array '" + key + "' of length " + n);
        }
        List<Object> list = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
          list.add(value(buf, elementType, path, key));
        }
        yield Collections.unmodifiableList(list);
      }
      case 10, 11 -> buf.getLong(); // uint64 beyond 2^63 does not occur in model metadata
      case 12 -> buf.getDouble();
      default ->
          throw new IOException(
              path + ": metadata '" + key + "' has unknown GGUF value type " + type);
    };
  }

  public TensorInfo tensor(String name) {
    for (TensorInfo t : tensors) {
      if (t.name.equals(name)) {
        return t;
      }
    }
    return null;
  }

  /** The metadata value of {@code key}, or null. */
  public Object get(String key) {
    return metadata.get(key);
  }

  /** Total scalar count over every tensor. */
  public long parameterCount() {
    long n = 0;
    for (TensorInfo t : tensors) {
      n += t.elements();
    }
    return n;
  }

  /** Every value of {@code t} as float32 in row-major order (GGUF order is already row-major). */
  public float[] read(TensorInfo t) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return read(ch, t);
    }
  }

  /** Every tensor, dequantised, in file order under its GGUF name. */
  public LinkedHashMap<String, float[]> readAll() throws IOException {
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      for (TensorInfo t : tensors) {
        out.put(t.name, read(ch, t));
      }
    }
    return out;
  }

  private float[] read(FileChannel ch, TensorInfo t) throws IOException {
    if (!t.type.readable()) {
      throw new IOException(
          path
              + ": tensor '"
              + t.name
              + "' has type "
              + t.type
              + "; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1");
    }
    if (t.elements() > Integer.MAX_VALUE) {
      throw new IOException(path + ": tensor '" + t.name + "' is too large for one float array");
    }
    ByteBuffer data =
        ch.map(FileChannel.MapMode.READ_ONLY, dataStart + t.offset, t.byteSize())
            .order(ByteOrder.LITTLE_ENDIAN);
    return GgmlBlocks.dequantize(data, t.type, (int) t.elements());
  }
}
