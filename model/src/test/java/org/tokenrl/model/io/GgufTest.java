package org.tokenrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.model.ModelFixtures;
import org.tokenrl.model.arch.LlamaConfig;

/** GGUF files written and quantised by the Python gguf package, read back by {@link Gguf}. */
class GgufTest {
  @TempDir Path tmp;

  @Test
  void everyReadableTypeEqualsGgufsOwnDequantisationBitForBit() throws Exception {
    Path dir = ModelFixtures.make("types", tmp);
    Gguf g = Gguf.open(dir.resolve("types.gguf"));
    assertEquals(3, g.version());
    float[] expected = ModelFixtures.floats(dir.resolve("expected.f32"));
    int at = 0;
    List<String> types = List.of("F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1");
    for (String type : types) {
      Gguf.TensorInfo t = g.tensor("t_" + type);
      assertEquals(type, t.type().name());
      assertArrayEquals(new long[] {4, 64}, t.rowMajorShape());
      float[] got = g.read(t);
      float[] want = Arrays.copyOfRange(expected, at, at + got.length);
      at += got.length;
      for (int i = 0; i < got.length; i++) {
        assertEquals(
            Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), type + " value " + i);
      }
    }
    assertEquals(expected.length, at);
  }

  @Test
  void metadataOfEveryValueType() throws Exception {
    Gguf g = Gguf.open(ModelFixtures.make("types", tmp).resolve("types.gguf"));
    assertEquals("llama", g.get("general.architecture"));
    assertEquals(200L, g.get("t.u8"));
    assertEquals(-5L, g.get("t.i8"));
    assertEquals(60000L, g.get("t.u16"));
    assertEquals(-30000L, g.get("t.i16"));
    assertEquals(4000000000L, g.get("t.u32"));
    assertEquals(-2000000000L, g.get("t.i32"));
    assertEquals(1L << 40, g.get("t.u64"));
    assertEquals(-(1L << 40), g.get("t.i64"));
    assertEquals(0.125, g.get("t.f32"));
    assertEquals(1e-300, g.get("t.f64"));
    assertEquals(true, g.get("t.bool"));
    assertEquals("héllo ✓", g.get("t.str"));
    assertEquals(List.of("a", "", "Ġthe"), g.get("t.arr_str"));
    assertEquals(List.of(1L, -2L, 3L), g.get("t.arr_i32"));
  }

  @Test
  void unsupportedTypeIsAnErrorNamingTensorAndType() throws Exception {
    Path file = ModelFixtures.make("types", tmp).resolve("types.gguf");
    Gguf g = Gguf.open(file);
    IOException e = assertThrows(IOException.class, () -> g.read(g.tensor("t_Q5_0")));
    assertTrue(
        e.getMessage().contains("'t_Q5_0'") && e.getMessage().contains("Q5_0"), e.getMessage());
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
  }

  @Test
  void llamaGgufGivesTheHfWeightsWithQkRowsUnpermuted() throws Exception {
    Path dir = ModelFixtures.make("llama", tmp);
    Gguf g = Gguf.open(dir.resolve("tiny.gguf"));
    LlamaConfig c = GgufModels.config(g);
    assertEquals(HfConfig.read(dir.resolve("config.json")), c);
    LinkedHashMap<String, float[]> fromGguf = GgufModels.weights(g, c);
    SafeTensors.Contents hf = SafeTensors.read(dir.resolve("model.safetensors"));
    assertEquals(LlamaWeights.shapes(c).keySet(), fromGguf.keySet());
    assertEquals(hf.tensors().keySet(), new java.util.HashSet<>(fromGguf.keySet()));
    for (String name : fromGguf.keySet()) {
      assertArrayEquals(hf.tensors().get(name), fromGguf.get(name), name);
    }
    // The permutation is not the identity on these shapes, so the check above has teeth.
    float[] permutedQ = g.read(g.tensor("blk.0.attn_q.weight"));
    assertFalse(Arrays.equals(permutedQ, fromGguf.get("model.layers.0.self_attn.q_proj.weight")));
  }

  @Test
  void truncatedOrCorruptFilesGiveOneLineNamingTheFile() throws Exception {
    Path good = ModelFixtures.make("types", tmp).resolve("types.gguf");
    byte[] bytes = Files.readAllBytes(good);
    Path cut = tmp.resolve("cut.gguf");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length - 100));
    Path header = tmp.resolve("header.gguf");
    Files.write(header, Arrays.copyOf(bytes, 200));
    Path junk = tmp.resolve("junk.gguf");
    Files.writeString(junk, "this is not a model at all, just some text");
    for (Path p : List.of(cut, header, junk)) {
      IOException e = assertThrows(IOException.class, () -> Gguf.open(p), p.toString());
      assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }
}
