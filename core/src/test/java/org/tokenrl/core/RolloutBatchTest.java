package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolloutBatchTest {
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private static final String[] REFERENCES = {"42", "", "héllo ✓ 数学 🙂", "x = \"y\"\n\t\\"};

  private BufferAllocator allocator;
  @TempDir Path tmp;

  @BeforeEach
  void openAllocator() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void closeAllocator() {
    allocator.close(); // throws if any buffer leaked
  }

  /** Random rows, group-major; lengths include 0 (empty prompt and empty response). */
  static List<Rollout> sampleRows(int groups, int groupSize, int maxLen, long seed) {
    Random rnd = new Random(seed);
    List<Rollout> rows = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      int exampleId = rnd.nextInt(1000);
      int[] prompt = randomInts(rnd, rnd.nextInt(maxLen + 1));
      for (int k = 0; k < groupSize; k++) {
        int len = rnd.nextInt(maxLen + 1);
        float[] lps = new float[len];
        float[] ents = new float[len];
        boolean[] mask = new boolean[len];
        for (int t = 0; t < len; t++) {
          lps[t] = (float) -rnd.nextDouble() * 10;
          ents[t] = (float) rnd.nextDouble() * 3;
          mask[t] = rnd.nextInt(4) != 0; // some tokens an environment wrote
        }
        rows.add(
            new Rollout(
                exampleId,
                g,
                prompt,
                randomInts(rnd, len),
                lps,
                ents,
                rnd.nextBoolean(),
                REFERENCES[rnd.nextInt(REFERENCES.length)],
                rnd.nextInt(4) == 0 ? Double.NaN : rnd.nextGaussian(),
                mask));
      }
    }
    return rows;
  }

  private static int[] randomInts(Random rnd, int len) {
    int[] out = new int[len];
    for (int i = 0; i < len; i++) {
      out[i] = rnd.nextInt(Integer.MAX_VALUE);
    }
    return out;
  }

  /** Every accessor, per row and bulk, agrees with {@code expected}. */
  private static void assertBatchEquals(List<Rollout> expected, int groupSize, RolloutBatch b) {
    int n = expected.size();
    assertEquals(n, b.size());
    assertEquals(groupSize, b.groupSize());
    assertEquals(n / groupSize, b.numGroups());
    assertEquals(expected, b.rows());
    long tokens = 0;
    for (int i = 0; i < n; i++) {
      Rollout r = expected.get(i);
      assertEquals(r, b.row(i));
      assertArrayEquals(r.promptIds(), b.promptIds(i));
      assertArrayEquals(r.responseIds(), b.responseIds(i));
      assertArrayEquals(r.logprobs(), b.logprobs(i));
      assertArrayEquals(r.entropies(), b.entropies(i));
      assertEquals(r.responseIds().length, b.responseLength(i));
      assertEquals(r.exampleId(), b.exampleId(i));
      assertEquals(r.group(), b.group(i));
      assertEquals(r.truncated(), b.truncated(i));
      assertEquals(r.reference(), b.reference(i));
      assertEquals(r.reward(), b.reward(i));
      tokens += r.responseIds().length;
    }
    assertEquals(tokens, b.totalResponseTokens());
    assertArrayEquals(expected.stream().map(Rollout::promptIds).toArray(), b.allPromptIds());
    assertArrayEquals(expected.stream().map(Rollout::responseIds).toArray(), b.allResponseIds());
    assertArrayEquals(expected.stream().map(Rollout::logprobs).toArray(), b.allLogprobs());
    assertArrayEquals(expected.stream().map(Rollout::entropies).toArray(), b.allEntropies());
    assertArrayEquals(
        expected.stream().mapToInt(r -> r.responseIds().length).toArray(), b.responseLengths());
    assertArrayEquals(expected.stream().mapToInt(Rollout::exampleId).toArray(), b.exampleIds());
    assertArrayEquals(expected.stream().mapToInt(Rollout::group).toArray(), b.groups());
    assertArrayEquals(expected.stream().map(Rollout::reference).toArray(), b.references());
    assertArrayEquals(expected.stream().mapToDouble(Rollout::reward).toArray(), b.rewards());
    boolean[] flags = b.truncatedFlags();
    for (int i = 0; i < n; i++) {
      assertEquals(expected.get(i).truncated(), flags[i]);
    }
  }

  @Test
  void ofKeepsEveryValue() {
    List<Rollout> rows = sampleRows(5, 3, 9, 1);
    try (RolloutBatch b = RolloutBatch.of(allocator, 3, rows)) {
      assertBatchEquals(rows, 3, b);
      assertEquals(RolloutSchema.FIELDS, b.root().getSchema().getFields());
      assertEquals("3", b.root().getSchema().getCustomMetadata().get(RolloutSchema.GROUP_SIZE_KEY));
    }
  }

  @Test
  void ipcBytesRoundTrip() {
    List<Rollout> rows = sampleRows(6, 4, 20, 2);
    try (RolloutBatch b = RolloutBatch.of(allocator, 4, rows);
        RolloutBatch back = RolloutBatch.fromIpcBytes(allocator, b.toIpcBytes())) {
      assertBatchEquals(rows, 4, back);
    }
  }

  @Test
  void fileRoundTrip() {
    List<Rollout> rows = sampleRows(4, 2, 15, 3);
    Path file = tmp.resolve("batch.arrow");
    try (RolloutBatch b = RolloutBatch.of(allocator, 2, rows)) {
      b.writeFile(file);
      b.writeFile(file); // overwrite must truncate, not append
    }
    try (RolloutBatch back = RolloutBatch.readFile(allocator, file)) {
      assertBatchEquals(rows, 2, back);
    }
  }

  @Test
  void emptyBatchRoundTrips() {
    Path file = tmp.resolve("empty.arrow");
    try (RolloutBatch b = RolloutBatch.of(allocator, 8, List.of());
        RolloutBatch viaBytes = RolloutBatch.fromIpcBytes(allocator, b.toIpcBytes())) {
      b.writeFile(file);
      try (RolloutBatch viaFile = RolloutBatch.readFile(allocator, file)) {
        for (RolloutBatch x : List.of(b, viaBytes, viaFile)) {
          assertBatchEquals(List.of(), 8, x);
          assertEquals(0, x.numGroups());
          assertEquals(0, x.totalResponseTokens());
        }
      }
    }
  }

  @Test
  void streamWithoutRecordBatchesReadsAsEmpty() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (RolloutBatch b = RolloutBatch.of(allocator, 5, List.of());
        ArrowStreamWriter w = new ArrowStreamWriter(b.root(), null, Channels.newChannel(out))) {
      w.start(); // schema message only, as a producer that had nothing to send writes
      w.end();
    }
    try (RolloutBatch back = RolloutBatch.fromIpcBytes(allocator, out.toByteArray())) {
      assertBatchEquals(List.of(), 5, back);
    }
  }

  @Test
  void allEmptyResponsesRoundTrip() {
    List<Rollout> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      rows.add(new Rollout(7, 0, new int[0], new int[0], new float[0], new float[0], true, "", 0));
    }
    try (RolloutBatch b = RolloutBatch.of(allocator, 4, rows);
        RolloutBatch back = RolloutBatch.fromIpcBytes(allocator, b.toIpcBytes())) {
      assertBatchEquals(rows, 4, back);
      assertEquals(0, back.totalResponseTokens());
    }
  }

  @Test
  void concatKeepsOrderAndLeavesPartsIntact() {
    List<Rollout> a = sampleRows(2, 3, 8, 4);
    List<Rollout> c = sampleRows(3, 3, 8, 5);
    try (RolloutBatch pa = RolloutBatch.of(allocator, 3, a);
        RolloutBatch pb = RolloutBatch.of(allocator, 3, List.of());
        RolloutBatch pc = RolloutBatch.of(allocator, 3, c);
        RolloutBatch all = RolloutBatch.concat(allocator, List.of(pa, pb, pc))) {
      List<Rollout> expected = new ArrayList<>(a);
      expected.addAll(c);
      assertBatchEquals(expected, 3, all);
      assertBatchEquals(a, 3, pa);
      assertBatchEquals(c, 3, pc);
      try (RolloutBatch back = RolloutBatch.fromIpcBytes(allocator, all.toIpcBytes())) {
        assertBatchEquals(expected, 3, back);
      }
    }
  }

  @Test
  void concatOfOnlyEmptyParts() {
    try (RolloutBatch e1 = RolloutBatch.of(allocator, 2, List.of());
        RolloutBatch e2 = RolloutBatch.of(allocator, 2, List.of());
        RolloutBatch all = RolloutBatch.concat(allocator, List.of(e1, e2))) {
      assertBatchEquals(List.of(), 2, all);
    }
  }

  @Test
  void concatRejectsMixedGroupSizes() {
    try (RolloutBatch a = RolloutBatch.of(allocator, 2, sampleRows(1, 2, 3, 6));
        RolloutBatch b = RolloutBatch.of(allocator, 3, sampleRows(1, 3, 3, 7))) {
      assertThrows(
          IllegalArgumentException.class, () -> RolloutBatch.concat(allocator, List.of(a, b)));
      assertThrows(IllegalArgumentException.class, () -> RolloutBatch.concat(allocator, List.of()));
    }
  }

  @Test
  void setRewardsWritesInPlaceAndSurvivesIpc() {
    List<Rollout> rows = sampleRows(3, 2, 5, 8);
    double[] rewards = {1, 0, -0.5, Double.NaN, 1e300, -0.0};
    try (RolloutBatch b = RolloutBatch.of(allocator, 2, rows)) {
      b.setRewards(rewards);
      assertArrayEquals(rewards, b.rewards());
      assertThrows(IllegalArgumentException.class, () -> b.setRewards(new double[5]));
      List<Rollout> expected = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        expected.add(rows.get(i).withReward(rewards[i]));
      }
      try (RolloutBatch back = RolloutBatch.fromIpcBytes(allocator, b.toIpcBytes())) {
        assertBatchEquals(expected, 2, back);
      }
    }
  }

  @Test
  void rejectsBadLayouts() {
    List<Rollout> rows = sampleRows(2, 2, 4, 9);
    IllegalArgumentException partial =
        assertThrows(
            IllegalArgumentException.class,
            () -> RolloutBatch.of(allocator, 3, rows.subList(0, 4)));
    assertTrue(partial.getMessage().contains("multiple of group size 3"), partial.getMessage());
    List<Rollout> mixed = new ArrayList<>(rows);
    mixed.set(1, mixed.get(2)); // row 1 now claims group 1 inside group 0
    assertThrows(IllegalArgumentException.class, () -> RolloutBatch.of(allocator, 2, mixed));
    assertThrows(IllegalArgumentException.class, () -> RolloutBatch.of(allocator, 0, rows));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Rollout(0, 0, new int[0], new int[2], new float[2], new float[1], false, "", 0));
    try (RolloutBatch b = RolloutBatch.of(allocator, 2, rows)) {
      assertThrows(IndexOutOfBoundsException.class, () -> b.row(4));
      assertThrows(IndexOutOfBoundsException.class, () -> b.responseIds(-1));
    }
  }

  @Test
  void rejectsForeignIpcStreamWithoutLeaking() throws Exception {
    byte[] foreign;
    try (VectorSchemaRoot root =
        VectorSchemaRoot.create(
            new org.apache.arrow.vector.types.pojo.Schema(List.of(RolloutSchema.FIELDS.get(4))),
            allocator)) {
      ((IntVector) root.getVector(0)).allocateNew(1);
      ((IntVector) root.getVector(0)).set(0, 1);
      root.setRowCount(1);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ArrowStreamWriter w = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
        w.start();
        w.writeBatch();
        w.end();
      }
      foreign = out.toByteArray();
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> RolloutBatch.fromIpcBytes(allocator, foreign));
    assertTrue(e.getMessage().contains("not a rollout batch"), e.getMessage());
  }

  // ------------------------------------------------------------- interop with real pyarrow

  private static final String PY_READ =
      String.join(
          "\n",
          "import json, sys",
          "import pyarrow as pa, pyarrow.ipc as ipc",
          "out = []",
          "for path in sys.argv[1:]:",
          "    t = ipc.open_file(path).read_all()",
          "    t.validate(full=True)",
          "    out.append({",
          "        'fields': [[f.name, str(f.type), f.nullable] for f in t.schema],",
          "        'metadata': {k.decode(): v.decode() for k, v in t.schema.metadata.items()},",
          "        'rows': t.to_pylist()})",
          "print(json.dumps(out))");

  @Test
  void pyarrowReadsJavaFile() throws Exception {
    List<Rollout> rows = sampleRows(4, 3, 6, 10);
    Path file = tmp.resolve("java.arrow");
    Path empty = tmp.resolve("empty.arrow");
    try (RolloutBatch b = RolloutBatch.of(allocator, 3, rows);
        RolloutBatch e = RolloutBatch.of(allocator, 3, List.of())) {
      b.writeFile(file);
      e.writeFile(empty);
    }
    JsonNode both = JSON.readTree(PythonRunner.run(PY_READ, file.toString(), empty.toString()));
    JsonNode out = both.get(0);
    assertEquals(out.get("fields"), both.get(1).get("fields"));
    assertEquals(0, both.get(1).get("rows").size());

    List<String> expectedFields =
        List.of(
            "prompt_ids:list<item: int32 not null>",
            "response_ids:list<item: int32 not null>",
            "logprobs:list<item: float not null>",
            "entropies:list<item: float not null>",
            "example_id:int32",
            "group:int32",
            "truncated:bool",
            "reference:string",
            "reward:double",
            "loss_mask:list<item: bool not null>");
    List<String> fields = new ArrayList<>();
    for (JsonNode f : out.get("fields")) {
      fields.add(f.get(0).asText() + ":" + f.get(1).asText());
      assertFalse(f.get(2).asBoolean(), "column " + f.get(0) + " should be non-nullable");
    }
    assertEquals(expectedFields, fields);
    assertEquals("3", out.get("metadata").get("group_size").asText());
    assertEquals(RolloutSchema.FORMAT_VERSION, out.get("metadata").get("format_version").asText());

    JsonNode pyRows = out.get("rows");
    assertEquals(rows.size(), pyRows.size());
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(rows.get(i), fromJson(pyRows.get(i)), "row " + i);
    }
  }

  private static final String PY_WRITE =
      String.join(
          "\n",
          "import json, sys",
          "import pyarrow as pa, pyarrow.ipc as ipc",
          "refs = ['', 'π ≈ 3.14159', '答案 🙂', 'plain']",
          "rows = []",
          "for i in range(12):",
          "    n = (i * 5) % 7",
          "    rows.append({",
          "        'prompt_ids': [i * 1000 + j for j in range(i % 4)],",
          "        'response_ids': [(i * 7919 + j * 104729) % 2**31 for j in range(n)],",
          "        'logprobs': [-(j + 1) / 7 - i / 3 for j in range(n)],",
          "        'entropies': [(j + 0.5) * 1.1 + i for j in range(n)],",
          "        'example_id': 100 + i // 3, 'group': i // 3, 'truncated': i % 5 == 0,",
          "        'reference': refs[i % 4], 'reward': float('nan') if i == 4 else i / 9 - 0.5})",
          // pyarrow's default (nullable) field types, and record batches that split groups
          "schema = pa.schema([",
          "    ('prompt_ids', pa.list_(pa.int32())), ('response_ids', pa.list_(pa.int32())),",
          "    ('logprobs', pa.list_(pa.float32())), ('entropies', pa.list_(pa.float32())),",
          "    ('example_id', pa.int32()), ('group', pa.int32()), ('truncated', pa.bool_()),",
          "    ('reference', pa.string()), ('reward', pa.float64())],",
          "    metadata={'group_size': '3', 'format_version': '1'})",
          "table = pa.Table.from_pylist(rows, schema=schema)",
          "with ipc.new_file(sys.argv[1], schema) as w:",
          "    w.write_table(table, max_chunksize=5)",
          "with ipc.new_stream(sys.argv[2], schema) as w:",
          "    w.write_table(table, max_chunksize=4)",
          "batches = ipc.open_file(sys.argv[1]).num_record_batches",
          "print(json.dumps({'rows': rows, 'batches': batches}))");

  @Test
  void javaReadsPyarrowFileAndStream() throws Exception {
    Path file = tmp.resolve("py.arrow");
    Path stream = tmp.resolve("py.arrows");
    JsonNode out = JSON.readTree(PythonRunner.run(PY_WRITE, file.toString(), stream.toString()));
    assertEquals(3, out.get("batches").asInt(), "pyarrow should have split the table");
    List<Rollout> expected = new ArrayList<>();
    for (JsonNode row : out.get("rows")) {
      expected.add(fromJson(row));
    }
    try (RolloutBatch fromFile = RolloutBatch.readFile(allocator, file);
        RolloutBatch fromStream =
            RolloutBatch.fromIpcBytes(allocator, Files.readAllBytes(stream))) {
      assertBatchEquals(expected, 3, fromFile);
      assertBatchEquals(expected, 3, fromStream);
    }
  }

  /** A row as pyarrow's to_pylist / our script prints it; floats narrowed as pyarrow does. */
  private static Rollout fromJson(JsonNode row) {
    return new Rollout(
        row.get("example_id").asInt(),
        row.get("group").asInt(),
        intArray(row.get("prompt_ids")),
        intArray(row.get("response_ids")),
        floatArray(row.get("logprobs")),
        floatArray(row.get("entropies")),
        row.get("truncated").asBoolean(),
        row.get("reference").asText(),
        row.get("reward").asDouble(),
        row.has("loss_mask") ? boolArray(row.get("loss_mask")) : null); // version 1: all true
  }

  private static boolean[] boolArray(JsonNode node) {
    boolean[] out = new boolean[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = node.get(i).booleanValue();
    }
    return out;
  }

  private static int[] intArray(JsonNode node) {
    int[] out = new int[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = node.get(i).intValue();
    }
    return out;
  }

  private static float[] floatArray(JsonNode node) {
    float[] out = new float[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) node.get(i).doubleValue();
    }
    return out;
  }

  // ------------------------------------------------------------- speed

  @Test
  void throughputOf1024Rows() {
    List<Rollout> rows = sampleRows(128, 8, 0, 11); // lengths replaced below
    List<Rollout> big = new ArrayList<>();
    Random rnd = new Random(12);
    for (Rollout r : rows) {
      float[] lps = new float[512];
      Arrays.fill(lps, -1.5f);
      big.add(
          new Rollout(
              r.exampleId(),
              r.group(),
              randomInts(rnd, 512),
              randomInts(rnd, 512),
              lps,
              lps.clone(),
              false,
              "reference",
              0.5));
    }
    int reps = 15;
    long[] fill = new long[reps];
    long[] write = new long[reps];
    long[] read = new long[reps];
    long[] bulk = new long[reps];
    int bytes = 0;
    for (int rep = 0; rep < reps; rep++) {
      long t0 = cpuNanos();
      try (RolloutBatch b = RolloutBatch.of(allocator, 8, big)) {
        long t1 = cpuNanos();
        byte[] ipc = b.toIpcBytes();
        long t2 = cpuNanos();
        try (RolloutBatch back = RolloutBatch.fromIpcBytes(allocator, ipc)) {
          long t3 = cpuNanos();
          int[][] responses = back.allResponseIds();
          float[][] lps = back.allLogprobs();
          double[] rewards = back.rewards();
          long t4 = cpuNanos();
          assertEquals(1024, responses.length);
          assertArrayEquals(big.get(1023).responseIds(), responses[1023]);
          assertArrayEquals(big.get(0).logprobs(), lps[0]);
          assertEquals(0.5, rewards[17]);
          fill[rep] = t1 - t0;
          write[rep] = t2 - t1;
          read[rep] = t3 - t2;
          bulk[rep] = t4 - t3;
          bytes = ipc.length;
        }
      }
    }
    System.out.printf(
        "RolloutBatch 1024 rows x (512 prompt + 512 response tokens): IPC %.1f MiB; median"
            + " thread-CPU ms: fill %.2f, toIpcBytes %.2f, fromIpcBytes %.2f, bulk read"
            + " (ids+logprobs+rewards) %.2f%n",
        bytes / 1048576.0, median(fill), median(write), median(read), median(bulk));
    assertTrue(bytes > 1024 * 512 * 4 * 4, "IPC bytes should hold all four list columns");
  }

  /** Thread CPU time: the figure stays meaningful when other jobs share the cores. */
  private static long cpuNanos() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static double median(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[s.length / 2] / 1e6;
  }
}
