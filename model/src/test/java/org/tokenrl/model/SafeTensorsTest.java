package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.PythonRunner;

/** Our safetensors files read by the real Python {@code safetensors} package. */
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

    // The real safetensors package (pinned in requirements-test.txt) opens the file: it checks
    // the header, offsets and alignment as every other consumer of the format will.
    String out =
        PythonRunner.run(
            String.join(
                "\n",
                "import sys",
                "from safetensors import safe_open",
                "with safe_open(sys.argv[1], framework='numpy') as f:",
                "    print('meta', f.metadata()['step'])",
                "    for name in sorted(f.keys()):",
                "        a = f.get_tensor(name)",
                "        assert str(a.dtype) == 'float32', a.dtype",
                "        print(name, list(a.shape), ' '.join(repr(float(x)) for x in a.ravel()))"),
            file.toString());
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
