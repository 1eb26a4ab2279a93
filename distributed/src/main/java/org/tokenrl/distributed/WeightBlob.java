package org.tokenrl.distributed;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named float tensors as one byte array, the form weights take in Ray's object store: Ray copies a
 * {@code byte[]} as raw bytes, while a {@code Map<String, float[]>} would go through its generic
 * (slow) serializer.
 *
 * <p>Layout, little-endian: magic {@code "TRLW"}, int tensor count, then per tensor an int name
 * length, the UTF-8 name, an int value count and the float32 values. Shapes are not stored: the
 * receiving policy knows them and checks sizes by name.
 */
public final class WeightBlob {
  private static final int MAGIC = 0x574c5254; // "TRLW" read as a little-endian int

  private WeightBlob() {}

  public static byte[] encode(Map<String, float[]> weights) {
    long bytes = 8;
    for (Map.Entry<String, float[]> e : weights.entrySet()) {
      bytes += 8 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4L * e.getValue().length;
    }
    if (bytes > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(
          "weights of " + bytes + " bytes do not fit one Java array (2 GiB); the Ray pool"
              + " supports models below that size");
    }
    ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(MAGIC).putInt(weights.size());
    for (Map.Entry<String, float[]> e : weights.entrySet()) {
      byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
      out.putInt(name.length).put(name).putInt(e.getValue().length);
      out.asFloatBuffer().put(e.getValue());
      out.position(out.position() + 4 * e.getValue().length);
    }
    return out.array();
  }

  public static LinkedHashMap<String, float[]> decode(byte[] blob) {
    ByteBuffer in = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    if (blob.length < 8 || in.getInt() != MAGIC) {
      throw new IllegalArgumentException("not a weight blob (missing TRLW header)");
    }
    int count = in.getInt();
    LinkedHashMap<String, float[]> weights = new LinkedHashMap<>();
    for (int t = 0; t < count; t++) {
      byte[] name = new byte[in.getInt()];
      in.get(name);
      float[] values = new float[in.getInt()];
      in.asFloatBuffer().get(values);
      in.position(in.position() + 4 * values.length);
      weights.put(new String(name, StandardCharsets.UTF_8), values);
    }
    return weights;
  }
}
