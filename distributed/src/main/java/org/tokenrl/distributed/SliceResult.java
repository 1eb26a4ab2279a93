package org.tokenrl.distributed;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a rollout actor sends back for its slice: the rows as an Arrow IPC stream and, when the
 * actor scored them ({@code distributed.rewards_on = actors}), each reward component's unweighted
 * score per row and the count of samples a failing reward scored 0, so the driver can log the same
 * {@code reward/<name>_mean} and {@code reward/errors} as the trainer would, and the per-row values
 * behind each extra {@code reward/<component>/<key>} metric (a Python reward's dict keys).
 *
 * <p>Wire format: int ipc length, ipc bytes, int component count, then per component its name (UTF)
 * and its scores (int count, doubles), then int errors, then the extra metrics as the components.
 *
 * @param components component name to per-row scores, in config order; empty when not scored
 * @param extraRows metric key to per-row values (NaN where a row has none); empty when none
 */
record SliceResult(
    byte[] ipc, Map<String, double[]> components, int errors, Map<String, double[]> extraRows) {

  SliceResult(byte[] ipc, Map<String, double[]> components, int errors) {
    this(ipc, components, errors, Map.of());
  }

  byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(ipc.length + 64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(ipc.length);
      out.write(ipc);
      write(out, components);
      out.writeInt(errors);
      write(out, extraRows);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static SliceResult fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte[] ipc = new byte[in.readInt()];
      in.readFully(ipc);
      Map<String, double[]> components = read(in);
      int errors = in.readInt();
      return new SliceResult(ipc, components, errors, read(in));
    } catch (IOException e) {
      throw new UncheckedIOException("malformed slice result from a rollout actor", e);
    }
  }

  private static void write(DataOutputStream out, Map<String, double[]> columns)
      throws IOException {
    out.writeInt(columns.size());
    for (Map.Entry<String, double[]> e : columns.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeInt(e.getValue().length);
      for (double v : e.getValue()) {
        out.writeDouble(v);
      }
    }
  }

  private static Map<String, double[]> read(DataInputStream in) throws IOException {
    int n = in.readInt();
    Map<String, double[]> columns = new LinkedHashMap<>();
    for (int c = 0; c < n; c++) {
      String name = in.readUTF();
      double[] values = new double[in.readInt()];
      for (int i = 0; i < values.length; i++) {
        values[i] = in.readDouble();
      }
      columns.put(name, values);
    }
    return columns;
  }
}
