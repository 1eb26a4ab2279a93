package org.tokenrl.runlog;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few protobuf wire-format pieces our TensorBoard records need (events, summaries, the hparams
 * plugin's messages), so no protobuf runtime or generated code is needed. Fields are written in
 * call order; callers pass field numbers from the .proto files they encode.
 */
final class Protobuf {
  private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

  Protobuf varint(int field, long value) {
    tag(field, 0);
    rawVarint(value);
    return this;
  }

  Protobuf fixed64(int field, double value) {
    tag(field, 1);
    rawLittleEndian(Double.doubleToRawLongBits(value), 8);
    return this;
  }

  Protobuf fixed32(int field, float value) {
    tag(field, 5);
    rawLittleEndian(Float.floatToRawIntBits(value), 4);
    return this;
  }

  Protobuf bytes(int field, byte[] value) {
    tag(field, 2);
    rawVarint(value.length);
    buf.writeBytes(value);
    return this;
  }

  Protobuf string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  Protobuf message(int field, Protobuf value) {
    return bytes(field, value.toByteArray());
  }

  Protobuf packedDoubles(int field, double[] values) {
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
