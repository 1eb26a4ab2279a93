package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our safetensors files against an independent Python reader (json header + numpy). */
class SafeTensorsTest {
  @TempDir Path tmp;

  @Test
  void pythonReadsTheSameValuesShapesAndMetadata() throws Exception {
    Random rng = new Random(3);
    LinkedHashMap<String, float[]> tensors = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    tensors.put("blocks.0.attn.wq", randomFloats(rng, 12));
    shapes.put("blocks.0.attn.wq", new long[] {3, 4});
    tensors.put("lnf.gain", randomFloats(rng, 5));
    shapes.put("lnf.gain", new long[] {5});
    Path file = tmp.resolve("t.safetensors");
    SafeTensors.write(file, tensors, shapes, Map.of("step", "7"));

    String script =
        String.join(
            "\n",
            "import json, struct, sys, numpy as np",
            "raw = open(sys.argv[1], 'rb').read()",
            "n = struct.unpack('<Q', raw[:8])[0]",
            "assert n % 8 == 0",
            "header = json.loads(raw[8:8 + n])",
            "data = raw[8 + n:]",
            "print('meta', header.pop('__metadata__')['step'])",
            "for name, t in header.items():",
            "    assert t['dtype'] == 'F32'",
            "    b, e = t['data_offsets']",
            "    a = np.frombuffer(data[b:e], dtype='<f4').reshape(t['shape'])",
            "    print(name, list(a.shape), ' '.join(repr(float(x)) for x in a.ravel()))");
    Path py = tmp.resolve("read.py");
    Files.writeString(py, script);
    Process proc =
        new ProcessBuilder(
                System.getProperty("tokenrl.python", "python3"), py.toString(), file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, proc.waitFor(), out);
    String[] lines = out.strip().split("\n");
    assertEquals("meta 7", lines[0]);
    int i = 1;
    for (Map.Entry<String, float[]> e : tensors.entrySet()) {
      String[] parts = lines[i++].split(" ", 2);
      assertEquals(e.getKey(), parts[0]);
      String[] rest = parts[1].split("] ", 2);
      assertEquals(java.util.Arrays.toString(shapes.get(e.getKey())), rest[0] + "]");
      String[] values = rest[1].split(" ");
      float[] parsed = new float[values.length];
      for (int k = 0; k < values.length; k++) {
        parsed[k] = (float) Double.parseDouble(values[k]);
      }
      assertArrayEquals(e.getValue(), parsed, e.getKey());
    }

    SafeTensors.Contents back = SafeTensors.read(file);
    assertEquals("7", back.metadata().get("step"));
    tensors.forEach((k, v) -> assertArrayEquals(v, back.tensors().get(k)));
    assertArrayEquals(new long[] {3, 4}, back.shapes().get("blocks.0.attn.wq"));
  }

  private static float[] randomFloats(Random rng, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) rng.nextGaussian();
    }
    return f;
  }

  @Test
  void rejectsTensorWhoseShapeDoesNotMatchItsLength() {
    LinkedHashMap<String, float[]> tensors = new LinkedHashMap<>();
    tensors.put("x", new float[5]);
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () ->
            SafeTensors.write(
                tmp.resolve("bad"), tensors, Map.of("x", new long[] {2, 2}), Map.of()));
  }

  @Test
  void truncatedFileIsAnError() throws IOException {
    LinkedHashMap<String, float[]> tensors = new LinkedHashMap<>();
    tensors.put("x", new float[8]);
    Path file = tmp.resolve("t.safetensors");
    SafeTensors.write(file, tensors, Map.of("x", new long[] {8}), Map.of());
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 4));
    org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> SafeTensors.read(file));
  }
}
