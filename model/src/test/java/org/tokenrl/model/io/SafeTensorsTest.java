package org.tokenrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.PythonRunner;
import org.tokenrl.model.ModelFixtures;

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

  @Test
  void f16AndBf16FilesFromThePythonPackageReadAsNumpysValues() throws Exception {
    Path dir = ModelFixtures.make("halves", tmp.resolve("halves"));
    float[] expected = ModelFixtures.floats(dir.resolve("expected.f32"));
    SafeTensors.Contents f16 = SafeTensors.read(dir.resolve("f16.safetensors"));
    SafeTensors.Contents bf16 = SafeTensors.read(dir.resolve("bf16.safetensors"));
    assertArrayEquals(new long[] {4, 17}, f16.shapes().get("w"));
    float[] got = new float[expected.length];
    System.arraycopy(f16.tensors().get("w"), 0, got, 0, 68);
    System.arraycopy(bf16.tensors().get("b"), 0, got, 68, 68);
    for (int i = 0; i < got.length; i++) {
      assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(got[i]), "value " + i);
    }
  }

  @Test
  void bf16AndF16WritesRoundToNearestEvenAsNumpyDoes() throws Exception {
    Random rng = new Random(9);
    float[] x = randomFloats(rng, 200);
    x[0] = 1.00390625f; // exactly halfway between two bf16 values: ties to even
    x[1] = 65520f; // rounds to infinity in fp16
    x[2] = 1e-6f; // fp16 subnormal
    LinkedHashMap<String, float[]> tensors = new LinkedHashMap<>();
    tensors.put("x", x);
    Path bf = tmp.resolve("bf.safetensors");
    Path hf = tmp.resolve("hf.safetensors");
    SafeTensors.write(bf, tensors, Map.of("x", new long[] {200}), Map.of(), SafeTensors.DType.BF16);
    SafeTensors.write(hf, tensors, Map.of("x", new long[] {200}), Map.of(), SafeTensors.DType.F16);
    Path input = tmp.resolve("x.f32");
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(800).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (float v : x) {
      b.putFloat(v);
    }
    Files.write(input, b.array());
    // The safetensors package parses our files; numpy rounds the float32 input independently.
    String out =
        org.tokenrl.core.PythonRunner.run(
            String.join(
                "\n",
                "import sys, numpy as np, safetensors",
                "x = np.fromfile(sys.argv[3], dtype='<f4')",
                "u = x.view(np.uint32).astype(np.uint64)",
                "want_bf = ((u + 0x7fff + ((u >> 16) & 1)) >> 16).astype('<u2')",
                "with np.errstate(over='ignore'):",
                "    want_hf = x.astype(np.float16)",
                "(name, t), = safetensors.deserialize(open(sys.argv[1], 'rb').read())",
                "assert name == 'x' and t['dtype'] in ('BF16', 'bfloat16') and list(t['shape']) =="
                    + " [200], t",
                "assert np.array_equal(np.frombuffer(bytes(t['data']), '<u2'), want_bf)",
                "(name, t), = safetensors.deserialize(open(sys.argv[2], 'rb').read())",
                "assert t['dtype'] in ('F16', 'float16'), t['dtype']",
                "assert np.array_equal(np.frombuffer(bytes(t['data']), '<u2'),"
                    + " want_hf.view('<u2'))",
                "print('ok')"),
            bf.toString(),
            hf.toString(),
            input.toString());
    assertEquals("ok", out.strip());
    float[] back = SafeTensors.read(bf).tensors().get("x");
    assertEquals(1.0f, back[0]);
  }

  @Test
  void shardedModelReadsThroughItsIndex() throws Exception {
    LinkedHashMap<String, float[]> a = new LinkedHashMap<>();
    a.put("model.embed_tokens.weight", new float[] {1, 2, 3, 4});
    LinkedHashMap<String, float[]> b = new LinkedHashMap<>();
    b.put("model.norm.weight", new float[] {5, 6});
    SafeTensors.write(
        tmp.resolve("model-00001-of-00002.safetensors"),
        a,
        Map.of("model.embed_tokens.weight", new long[] {2, 2}),
        Map.of());
    SafeTensors.write(
        tmp.resolve("model-00002-of-00002.safetensors"),
        b,
        Map.of("model.norm.weight", new long[] {2}),
        Map.of(),
        SafeTensors.DType.BF16);
    Files.writeString(
        tmp.resolve("model.safetensors.index.json"),
        "{\"metadata\": {\"total_size\": 20}, \"weight_map\": {"
            + "\"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\","
            + "\"model.norm.weight\": \"model-00002-of-00002.safetensors\"}}");
    SafeTensors.Contents all = SafeTensors.readModel(tmp);
    assertArrayEquals(new float[] {1, 2, 3, 4}, all.tensors().get("model.embed_tokens.weight"));
    assertArrayEquals(new float[] {5, 6}, all.tensors().get("model.norm.weight"));
    assertArrayEquals(new long[] {2, 2}, all.shapes().get("model.embed_tokens.weight"));

    Files.delete(tmp.resolve("model-00002-of-00002.safetensors"));
    IOException e = assertThrows(IOException.class, () -> SafeTensors.readModel(tmp));
    assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
  }

  @Test
  void corruptFilesGiveOneLineNamingTheFile() throws Exception {
    LinkedHashMap<String, float[]> tensors = new LinkedHashMap<>();
    tensors.put("x", new float[8]);
    Path file = tmp.resolve("t.safetensors");
    SafeTensors.write(file, tensors, Map.of("x", new long[] {8}), Map.of());
    byte[] bytes = Files.readAllBytes(file);
    Path cut = tmp.resolve("cut.safetensors");
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 4));
    Path junk = tmp.resolve("junk.safetensors");
    Files.writeString(junk, "hello, I am not a tensor file at all");
    Path badJson = tmp.resolve("json.safetensors");
    byte[] broken = bytes.clone();
    broken[9] = '!';
    Files.write(badJson, broken);
    for (Path p : java.util.List.of(cut, junk, badJson)) {
      IOException e = assertThrows(IOException.class, () -> SafeTensors.read(p));
      assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }
}
