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
 * {@code reward/<name>_mean} and {@code reward/errors} as the trainer would.
 *
 * <p>Wire format: int ipc length, ipc bytes, int component count, then per component its name (UTF)
 * and its scores (int count, doubles), then int errors.
 *
 * @param components component name to per-row scores, in config order; empty when not scored
 */
record SliceResult(byte[] ipc, Map<String, double[]> components, int errors) {

  byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(ipc.length + 64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(ipc.length);
      out.write(ipc);
      out.writeInt(components.size());
      for (Map.Entry<String, double[]> e : components.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeInt(e.getValue().length);
        for (double v : e.getValue()) {
          out.writeDouble(v);
        }
      }
      out.writeInt(errors);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static SliceResult fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte[] ipc = new byte[in.readInt()];
      in.readFully(ipc);
      int n = in.readInt();
      Map<String, double[]> components = new LinkedHashMap<>();
      for (int c = 0; c < n; c++) {
        String name = in.readUTF();
        double[] scores = new double[in.readInt()];
        for (int i = 0; i < scores.length; i++) {
          scores[i] = in.readDouble();
        }
        components.put(name, scores);
      }
      return new SliceResult(ipc, components, in.readInt());
    } catch (IOException e) {
      throw new UncheckedIOException("malformed slice result from a rollout actor", e);
    }
  }
}
