package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.PreferenceSchema.TokenWeights;

class PreferenceBatchTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BufferAllocator allocator;
  @TempDir Path tmp;

  @BeforeEach
  void open() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void closeAllocator() {
    allocator.close(); // fails the test if a batch leaked buffers
  }

  private static int[] ints(Random rnd, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = rnd.nextInt(1 << 20);
    }
    return out;
  }

  private static float[] floats(Random rnd, int n, float scale) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (scale * rnd.nextGaussian());
    }
    return out;
  }

  /** Pairs of varied lengths; weights per {@code kind} (cDPO: rejected only, some rows bare). */
  static List<PreferencePair> samplePairs(int n, TokenWeights kind, long seed) {
    Random rnd = new Random(seed);
    List<PreferencePair> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int c = 1 + rnd.nextInt(7);
      int r = 1 + rnd.nextInt(7);
      PreferencePair p =
          new PreferencePair(
              100 + i,
              ints(rnd, rnd.nextInt(5)),
              ints(rnd, c),
              ints(rnd, r),
              floats(rnd, c, 2),
              floats(rnd, r, 2));
      if (kind == TokenWeights.TREG) {
        p = p.withTokenWeights(floats(rnd, c, 0.2f), floats(rnd, r, 0.2f));
      } else if (kind == TokenWeights.CDPO && i % 3 != 1) {
        p = p.withTokenWeights(null, floats(rnd, r, 0.5f));
      }
      out.add(p);
    }
    return out;
  }

  static void assertPairsEqual(List<PreferencePair> expected, PreferenceBatch batch) {
    assertEquals(expected.size(), batch.size());
    for (int i = 0; i < expected.size(); i++) {
      PreferencePair want = expected.get(i);
      PreferencePair got = batch.pair(i);
      String where = "pair " + i;
      assertEquals(want.pairId(), got.pairId(), where);
      assertArrayEquals(want.promptIds(), got.promptIds(), where);
      assertArrayEquals(want.chosenIds(), got.chosenIds(), where);
      assertArrayEquals(want.rejectedIds(), got.rejectedIds(), where);
      assertArrayEquals(want.refChosenLogprobs(), got.refChosenLogprobs(), where);
      assertArrayEquals(want.refRejectedLogprobs(), got.refRejectedLogprobs(), where);
      assertArrayEquals(want.chosenTokenWeights(), got.chosenTokenWeights(), where);
      assertArrayEquals(want.rejectedTokenWeights(), got.rejectedTokenWeights(), where);
    }
  }

  @Test
  void roundTripsThroughBytesAndFilesForEveryWeightKind() {
    for (TokenWeights kind : TokenWeights.values()) {
      List<PreferencePair> pairs = samplePairs(9, kind, kind.ordinal());
      Path file = tmp.resolve(kind.label() + ".arrow");
      try (PreferenceBatch b = PreferenceBatch.of(allocator, kind, pairs);
          PreferenceBatch viaBytes = PreferenceBatch.fromIpcBytes(allocator, b.toIpcBytes())) {
        b.writeFile(file);
        try (PreferenceBatch viaFile = PreferenceBatch.readFile(allocator, file)) {
          for (PreferenceBatch x : List.of(b, viaBytes, viaFile)) {
            assertPairsEqual(pairs, x);
            assertEquals(kind, x.tokenWeights());
          }
        }
      }
    }
  }

  @Test
  void emptyBatchRoundTrips() {
    try (PreferenceBatch b = PreferenceBatch.of(allocator, TokenWeights.NONE, List.of());
        PreferenceBatch back = PreferenceBatch.fromIpcBytes(allocator, b.toIpcBytes())) {
      assertEquals(0, back.size());
      assertEquals(0, back.refChosenLogprobSums().length);
    }
  }

  @Test
  void accessorsAndSums() {
    PreferencePair p =
        new PreferencePair(
            7,
            new int[] {1, 2},
            new int[] {3, 4, 5},
            new int[] {6},
            new float[] {-1.2f, -2.1f, -0.7f},
            new float[] {-1.0f},
            new float[] {0.25f, 0f, -0.5f},
            null);
    try (PreferenceBatch b = PreferenceBatch.of(allocator, TokenWeights.TREG, List.of(p))) {
      assertEquals(7, b.pairId(0));
      assertArrayEquals(new int[] {1, 2}, b.promptIds(0));
      assertArrayEquals(new int[] {3, 4, 5}, b.chosenIds(0));
      assertArrayEquals(new int[] {6}, b.rejectedIds(0));
      assertArrayEquals(new float[] {0.25f, 0f, -0.5f}, b.chosenTokenWeights(0));
      assertNull(b.rejectedTokenWeights(0));
      // Sums in double of the stored floats (docs/preference.md §2.2 D1's reference sums, as float
      // inputs).
      assertEquals(
          (double) -1.2f + (double) -2.1f + (double) -0.7f, b.refChosenLogprobSums()[0], 0);
      assertEquals(-4.0, b.refChosenLogprobSums()[0], 1e-6);
      assertEquals(-1.0, b.refRejectedLogprobSums()[0], 0);
      assertArrayEquals(new double[] {-1.0}, PreferenceBatch.toDoubles(b.refRejectedLogprobs(0)));
      assertNull(PreferenceBatch.toDoubles(null));
      assertThrows(IndexOutOfBoundsException.class, () -> b.chosenIds(1));
      assertEquals("PreferenceBatch[pairs=1, weights=treg]", b.toString());
    }
  }

  @Test
  void validatesLengthsAndWeightKind() {
    int[] three = {1, 2, 3};
    float[] f3 = {0, 0, 0};
    float[] f2 = {0, 0};
    IllegalArgumentException ref =
        assertThrows(
            IllegalArgumentException.class,
            () -> new PreferencePair(4, three, three, three, f2, f3));
    assertEquals(
        "preference pair 4: 2 ref chosen log-probs for 3 chosen tokens; need one per response"
            + " token",
        ref.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> new PreferencePair(4, three, three, three, f3, f2));
    assertThrows(
        IllegalArgumentException.class,
        () -> new PreferencePair(4, three, three, three, f3, f3, f2, null));
    assertThrows(
        IllegalArgumentException.class,
        () -> new PreferencePair(4, three, three, three, f3, f3, null, f2));
    IllegalArgumentException empty =
        assertThrows(
            IllegalArgumentException.class,
            () -> new PreferencePair(4, three, new int[0], three, new float[0], f3));
    assertTrue(empty.getMessage().contains("chosen response is empty"), empty.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> new PreferencePair(4, three, three, three, null, f3));
    PreferencePair weighted = new PreferencePair(4, three, three, three, f3, f3, f3, f3);
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class,
            () -> PreferenceBatch.of(allocator, TokenWeights.NONE, List.of(weighted)));
    assertTrue(none.getMessage().contains("TokenWeights.NONE"), none.getMessage());
  }

  @Test
  void rejectsRolloutBatchBytesWithoutLeaking() {
    byte[] foreign;
    try (RolloutBatch r = RolloutBatch.of(allocator, 1, List.of())) {
      foreign = r.toIpcBytes();
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> PreferenceBatch.fromIpcBytes(allocator, foreign));
    assertTrue(e.getMessage().startsWith("not a preference batch"), e.getMessage());
  }

  @Test
  void writeFileReplacesAtomicallyAndLeavesNoTemporaryFiles() throws Exception {
    Path file = tmp.resolve("pairs.arrow");
    Files.writeString(file, "stale, not arrow");
    List<PreferencePair> pairs = samplePairs(3, TokenWeights.CDPO, 5);
    try (PreferenceBatch b = PreferenceBatch.of(allocator, TokenWeights.CDPO, pairs)) {
      b.writeFile(file);
      b.writeFile(file);
    }
    try (Stream<Path> files = Files.list(tmp);
        PreferenceBatch back = PreferenceBatch.readFile(allocator, file)) {
      assertEquals(List.of(file), files.toList());
      assertPairsEqual(pairs, back);
    }
  }

  // ------------------------------------------------------------- interop with real pyarrow

  private static final String PY_READ =
      String.join(
          "\n",
          "import json, sys",
          "import pyarrow.ipc as ipc",
          "t = ipc.open_file(sys.argv[1]).read_all()",
          "t.validate(full=True)",
          "print(json.dumps({",
          "    'fields': [[f.name, str(f.type), f.nullable] for f in t.schema],",
          "    'metadata': {k.decode(): v.decode() for k, v in t.schema.metadata.items()},",
          "    'nulls': {c: t.column(c).null_count for c in t.column_names},",
          "    'rows': t.to_pylist()}))");

  @Test
  void pyarrowReadsJavaFile() throws Exception {
    List<PreferencePair> pairs = samplePairs(6, TokenWeights.CDPO, 21);
    Path file = tmp.resolve("cdpo.arrow");
    try (PreferenceBatch b = PreferenceBatch.of(allocator, TokenWeights.CDPO, pairs)) {
      b.writeFile(file);
    }
    JsonNode out = JSON.readTree(PythonRunner.run(PY_READ, file.toString()));
    List<String> fields = new ArrayList<>();
    for (JsonNode f : out.get("fields")) {
      fields.add(f.get(0).asText() + ":" + f.get(1).asText() + (f.get(2).asBoolean() ? "?" : ""));
    }
    assertEquals(
        List.of(
            "pair_id:int32",
            "prompt_ids:list<item: int32 not null>",
            "chosen_ids:list<item: int32 not null>",
            "rejected_ids:list<item: int32 not null>",
            "ref_chosen_logprobs:list<item: float not null>",
            "ref_rejected_logprobs:list<item: float not null>",
            "chosen_token_weights:list<item: float not null>?",
            "rejected_token_weights:list<item: float not null>?"),
        fields);
    JsonNode meta = out.get("metadata");
    assertEquals("preference", meta.get("tokenrl.kind").asText());
    assertEquals("cdpo", meta.get("tokenrl.weights").asText());
    assertEquals("1", meta.get("tokenrl.format_version").asText());
    assertEquals(6, out.get("nulls").get("chosen_token_weights").asInt());
    assertEquals(2, out.get("nulls").get("rejected_token_weights").asInt()); // rows 1 and 4
    assertEquals(0, out.get("nulls").get("chosen_ids").asInt());
    JsonNode rows = out.get("rows");
    assertEquals(pairs.size(), rows.size());
    List<PreferencePair> fromPython = new ArrayList<>();
    for (JsonNode row : rows) {
      fromPython.add(fromJson(row));
    }
    try (PreferenceBatch b = PreferenceBatch.of(allocator, TokenWeights.CDPO, fromPython)) {
      assertPairsEqual(pairs, b);
    }
  }

  private static final String PY_WRITE =
      String.join(
          "\n",
          "import sys",
          "import pyarrow as pa, pyarrow.ipc as ipc",
          "fl = pa.list_(pa.float32()); il = pa.list_(pa.int32())",
          "schema = pa.schema([('pair_id', pa.int32()), ('prompt_ids', il), ('chosen_ids', il),",
          "    ('rejected_ids', il), ('ref_chosen_logprobs', fl), ('ref_rejected_logprobs', fl),",
          "    ('chosen_token_weights', fl), ('rejected_token_weights', fl)],",
          "    metadata={'tokenrl.kind': 'preference', 'tokenrl.weights': 'treg',",
          "              'tokenrl.format_version': '1'})",
          "rows = [{'pair_id': i, 'prompt_ids': [i] * (i % 3), 'chosen_ids': [1, 2, i],",
          "         'rejected_ids': [i + 5], 'ref_chosen_logprobs': [-0.5, -1.25, -i / 4],",
          "         'ref_rejected_logprobs': [-2.0],",
          "         'chosen_token_weights': None if i == 3 else [0.25, -0.125, i / 8],",
          "         'rejected_token_weights': [0.375]} for i in range(7)]",
          "with ipc.new_file(sys.argv[1], schema) as w:",
          "    w.write_table(pa.Table.from_pylist(rows, schema=schema), max_chunksize=3)");

  @Test
  void javaReadsPyarrowFileWithSeveralRecordBatches() throws Exception {
    Path file = tmp.resolve("py.arrow");
    PythonRunner.run(PY_WRITE, file.toString());
    try (PreferenceBatch b = PreferenceBatch.readFile(allocator, file)) {
      assertEquals(7, b.size());
      assertEquals(TokenWeights.TREG, b.tokenWeights());
      for (int i = 0; i < 7; i++) {
        assertEquals(i, b.pairId(i));
        assertArrayEquals(new int[] {1, 2, i}, b.chosenIds(i));
        assertEquals(i % 3, b.promptIds(i).length);
        assertArrayEquals(new float[] {-0.5f, -1.25f, -i / 4f}, b.refChosenLogprobs(i));
        assertArrayEquals(new float[] {0.375f}, b.rejectedTokenWeights(i));
        if (i == 3) {
          assertNull(b.chosenTokenWeights(i));
        } else {
          assertArrayEquals(new float[] {0.25f, -0.125f, i / 8f}, b.chosenTokenWeights(i));
        }
      }
    }
  }

  private static PreferencePair fromJson(JsonNode row) {
    return new PreferencePair(
        row.get("pair_id").asInt(),
        intArray(row.get("prompt_ids")),
        intArray(row.get("chosen_ids")),
        intArray(row.get("rejected_ids")),
        floatArray(row.get("ref_chosen_logprobs")),
        floatArray(row.get("ref_rejected_logprobs")),
        floatArray(row.get("chosen_token_weights")),
        floatArray(row.get("rejected_token_weights")));
  }

  private static int[] intArray(JsonNode node) {
    int[] out = new int[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = node.get(i).intValue();
    }
    return out;
  }

  private static float[] floatArray(JsonNode node) {
    if (node.isNull()) {
      return null;
    }
    float[] out = new float[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) node.get(i).doubleValue();
    }
    return out;
  }
}
