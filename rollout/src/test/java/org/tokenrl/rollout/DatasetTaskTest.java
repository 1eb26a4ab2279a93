package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.PythonRunner;

/**
 * {@code task = dataset} on files written by pyarrow and by Hugging Face {@code datasets}: verl's
 * parquet layout (chat prompts as list&lt;struct&gt;, nested reward_model and extra_info, ints and
 * nulls, several row groups, dictionary and plain encoding, every codec pyarrow writes by default
 * or on request), TRL's conversational and text layouts in JSONL and JSON, plain question/answer,
 * column mapping, and one-line errors naming the row and the key. Rows are checked against
 * pyarrow's own {@code to_pylist()}, the independent reading.
 */
class DatasetTaskTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  /** verl's gsm8k preprocessing, shrunk: 11 rows, a null in extra_info every third row. */
  private static final String VERL_ROWS =
      String.join(
          "\n",
          "import json, sys, pyarrow as pa, pyarrow.parquet as pq",
          "rows = []",
          "for i in range(11):",
          "    rows.append({'data_source': 'openai/gsm8k',",
          "        'prompt': [{'role': 'system', 'content': 'Think step by step.'},",
          "                   {'role': 'user', 'content': 'Tom has %d apples\\n"
              + "and eats one. Left?' % i}],",
          "        'ability': 'math',",
          "        'reward_model': {'style': 'rule', 'ground_truth': str(i - 1)},",
          "        'extra_info': {'split': 'train', 'index': i,",
          "                       'answer': None if i % 3 == 0 else 'He has %d - 1 = %d.' % (i, i -"
              + " 1)}})",
          "table = pa.Table.from_pylist(rows)");

  /** {name, pq.write_table arguments}: the verl rows written with each codec and encoding. */
  private static final String[][] VARIANTS = {
    {"plain.parquet", "row_group_size=3, compression='none'"},
    {"snappy.parquet", "row_group_size=3"},
    {"gzip.parquet", "row_group_size=3, compression='gzip'"},
    {"zstd.parquet", "row_group_size=3, compression='zstd'"},
    {"lz4.parquet", "row_group_size=3, compression='lz4'"},
    {"nodict.parquet", "row_group_size=5, use_dictionary=False"},
    {"v2pages.parquet", "row_group_size=2, data_page_version='2.0', version='2.6'"},
  };

  /** Every Parquet and datasets fixture, written in one Python run (each start costs seconds). */
  @TempDir static Path files;

  /** pyarrow's own reading of train.parquet: the reference the reader is checked against. */
  private static JsonNode verlExpected;

  @BeforeAll
  static void writeFixtures() throws Exception {
    StringBuilder script = new StringBuilder(VERL_ROWS).append("\nimport os\n");
    script.append("d = sys.argv[1]\n");
    script.append("pq.write_table(table, d + '/train.parquet', row_group_size=4)\n");
    script.append("pq.write_table(table.slice(0, 3), d + '/test.parquet')\n");
    for (String[] f : VARIANTS) {
      script.append("pq.write_table(table, d + '/").append(f[0]).append("', ").append(f[1]);
      script.append(")\nassert pq.ParquetFile(d + '/").append(f[0]);
      script.append("').metadata.num_row_groups > 1\n");
    }
    script.append(
        String.join(
            "\n",
            "t = pa.table({",
            "  'question': ['a', 'b', 'c'],",
            "  'answer': ['1', '2', '3'],",
            "  'ints': pa.array([[1, None, 3], [], None], pa.list_(pa.int32())),",
            "  'big': pa.array([2**63 + 5, 0, None], pa.uint64()),",
            "  'f': [1.5, None, -0.25],",
            "  'ok': [True, False, None],",
            "  'tags': pa.array([[('k', 'v')], [], None], pa.map_(pa.string(), pa.string())),",
            "  'nested': [[[1], [2, 3]], [], None],",
            "})",
            "pq.write_table(t, d + '/types.parquet', row_group_size=2)",
            "t = pa.table({'prompt': ['a', 'b', None, 'd'], 'solution': ['1', '2', '3', '4']})",
            "pq.write_table(t, d + '/holes.parquet', row_group_size=2)",
            "import datasets",
            "rows = [{'prompt': [{'role': 'user', 'content': 'Q%d' % i}],",
            "         'solution': str(i), 'difficulty': i % 2} for i in range(6)]",
            "ds = datasets.Dataset.from_list(rows)",
            "ds.to_parquet(d + '/hf.parquet')",
            "ds.to_json(d + '/hf.json')  # JSON Lines under a .json name",
            "print(json.dumps(pq.read_table(d + '/train.parquet').to_pylist()))",
            ""));
    verlExpected = JSON.readTree(PythonRunner.run(script.toString(), files.toString()));
  }

  private static Task task(Path root, String settings) {
    return Tasks.create(ConfigFactory.parseString("name = dataset, seed = 5, " + settings), root);
  }

  private static List<Example> all(Task task) {
    List<Example> all = new ArrayList<>(task.train());
    all.addAll(task.heldOut());
    // File order: by the line or row number that ends each origin.
    all.sort(java.util.Comparator.comparingInt(e -> trailingNumber(task.origin(e))));
    return all;
  }

  private static int trailingNumber(String origin) {
    return Integer.parseInt(origin.replaceAll("^.*?(\\d+)\\]?$", "$1"));
  }

  @Test
  void readsVerlParquetWithChatPromptsAndEveryOtherColumn() throws Exception {
    // pyarrow's reading of the file it wrote, row by row, is the reference.
    JsonNode expected = verlExpected.deepCopy();
    Task task = task(files, "path = train.parquet, eval_fraction = 0.2");
    assertEquals(9, task.train().size());
    assertEquals(2, task.heldOut().size());
    assertTrue(task.description().contains("verl layout"), task.description());
    for (Example ex : task.train()) {
      int row = Integer.parseInt(task.origin(ex).replaceAll(".*row ", ""));
      JsonNode want = expected.get(row);
      assertEquals(want.at("/prompt/1/content").asText(), ex.prompt());
      assertTrue(ex.prompt().contains("\n"), "line breaks survive: " + ex.prompt());
      assertEquals(2, ex.messages().size());
      assertEquals(new Example.Turn("system", "Think step by step."), ex.messages().get(0));
      assertEquals(want.at("/reward_model/ground_truth").asText(), ex.answer());
      // Every column but the prompt reaches the rewards, values as pyarrow reads them.
      ((com.fasterxml.jackson.databind.node.ObjectNode) want).remove("prompt");
      assertEquals(want.toString(), JSON.valueToTree(ex.columns()).toString(), task.origin(ex));
    }
    Example third = all(task).stream().filter(e -> e.answer().equals("2")).findFirst().get();
    @SuppressWarnings("unchecked")
    Map<String, Object> extra = (Map<String, Object>) third.columns().get("extra_info");
    assertEquals(3L, ((Number) extra.get("index")).longValue());
    assertTrue(extra.containsKey("answer") && extra.get("answer") == null, extra.toString());
  }

  /** configs/task/dataset.conf as shipped reads the bundled example (TRL's text layout). */
  @Test
  void theDatasetGroupFileReadsItsDefaultFile() {
    Task task =
        Tasks.create(
            ConfigFactory.parseString("name = dataset, seed = 1")
                .withFallback(
                    ConfigFactory.parseFile(new java.io.File("../configs/task/dataset.conf"))),
            Path.of(".."));
    assertEquals(10, task.train().size() + task.heldOut().size());
    assertTrue(task.description().contains("trl layout (prompt: prompt, answer: answer)"));
    Example geo =
        all(task).stream().filter(e -> e.prompt().startsWith("capital")).findFirst().get();
    assertEquals(Map.of("answer", "Paris", "source", "geo"), geo.columns());
  }

  /** configs/task/gsm8k_verl.conf, the README's example group file, reads verl's files. */
  @Test
  void theGsm8kVerlGroupFileReadsVerlFiles() throws Exception {
    com.typesafe.config.Config file =
        ConfigFactory.parseFile(new java.io.File("../configs/task/gsm8k_verl.conf"));
    Task task =
        Tasks.create(
            ConfigFactory.parseString("seed = 1, path = train.parquet, eval_path = test.parquet")
                .withFallback(file),
            files);
    assertEquals("dataset", task.name());
    assertTrue(file.getBoolean("chat"));
    assertEquals(3, task.heldOut().size());
    assertEquals(8, task.train().size(), "the held-out prompts leave the training split");
    Example first = task.train().get(0);
    assertEquals(2, first.messages().size());
    assertTrue(task.isCorrect(first, "So he has " + first.answer() + " left."), first.answer());
    assertTrue(task.description().contains("verl layout"), task.description());
  }

  @Test
  void everyCodecAndEncodingReadsTheSameRows() throws Exception {
    List<Example> want = all(task(files, "path = plain.parquet, eval_fraction = 0.2"));
    for (String[] v : VARIANTS) {
      List<Example> got = all(task(files, "path = " + v[0] + ", eval_fraction = 0.2"));
      assertEquals(want.size(), got.size(), v[0]);
      for (int i = 0; i < want.size(); i++) {
        Example a = want.get(i);
        Example b = got.get(i);
        assertEquals(a.messages(), b.messages(), v[0]);
        assertEquals(a.answer(), b.answer(), v[0]);
        assertEquals(a.columns(), b.columns(), v[0]);
      }
    }
  }

  @Test
  void parquetTypesReadAsPyarrowReadsThem() throws Exception {
    List<Example> rows = all(task(files, "path = types.parquet, eval_fraction = 0"));
    assertEquals(3, rows.size());
    Map<String, Object> a = rows.get(0).columns();
    assertEquals("[1,null,3]", JSON.valueToTree(a.get("ints")).toString());
    assertEquals("9223372036854775813", a.get("big").toString());
    assertEquals(1.5, ((Number) a.get("f")).doubleValue());
    assertEquals(true, a.get("ok"));
    assertEquals(Map.of("k", "v"), a.get("tags"));
    assertEquals("[[1],[2,3]]", JSON.valueToTree(a.get("nested")).toString());
    Map<String, Object> c = rows.get(2).columns();
    for (String k : List.of("ints", "big", "ok", "tags", "nested")) {
      assertTrue(c.containsKey(k) && c.get(k) == null, k + " is null in row 2: " + c);
    }
    assertEquals(-0.25, ((Number) c.get("f")).doubleValue());
    assertTrue(rows.get(1).columns().get("f") == null, "f is null in row 1");
    assertEquals(List.of(), rows.get(1).columns().get("ints"));
    assertTrue(rows.get(0).messages().isEmpty(), "a plain question is no conversation");
    assertEquals("a", rows.get(0).prompt());
  }

  @Test
  void readsTrlLayoutsInJsonlAndJson() throws Exception {
    // Conversational prompts with a solution column (TRL's GRPO datasets), in JSON Lines.
    Files.writeString(
        dir.resolve("chat.jsonl"),
        "{\"prompt\": [{\"role\": \"user\", \"content\": \"2+2?\"}], \"solution\": \"4\","
            + " \"level\": 1}\n"
            + "\n"
            + "{\"prompt\": [{\"role\": \"user\", \"content\": \"3+3?\"}], \"solution\": \"6\","
            + " \"level\": 2}\n");
    Task chat = task(dir, "path = chat.jsonl, eval_fraction = 0.5");
    List<Example> rows = all(chat);
    assertEquals("chat.jsonl:1", chat.origin(rows.get(0)));
    assertEquals("chat.jsonl:3", chat.origin(rows.get(1)));
    assertEquals("4", rows.get(0).answer());
    assertEquals(Map.of("solution", "4", "level", 1), rows.get(0).columns());
    assertTrue(chat.description().contains("trl layout"), chat.description());

    // Text prompts with prompt-completion pairs, as a JSON array: completion is the reference and,
    // as in TRL, is not passed on as a column.
    Files.writeString(
        dir.resolve("text.json"),
        "[{\"prompt\": \"The sky is\", \"completion\": \" blue.\", \"id\": \"a\"},"
            + " {\"prompt\": \"Grass is\", \"completion\": \" green.\", \"id\": \"b\"}]");
    List<Example> text = all(task(dir, "path = text.json, eval_fraction = 0.5"));
    assertEquals(" blue.", text.get(0).answer());
    assertEquals(Map.of("id", "a"), text.get(0).columns());
    assertTrue(text.get(0).messages().isEmpty());

    // {"data": [...]} and a messages column whose last turn is the assistant's answer.
    Files.writeString(
        dir.resolve("wrapped.json"),
        "{\"version\": 1, \"data\": [{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"},"
            + " {\"role\": \"assistant\", \"content\": \"Hello!\"}]},"
            + " {\"messages\": [{\"role\": \"user\", \"content\": \"Bye\"},"
            + " {\"role\": \"assistant\", \"content\": \"See you.\"}]}]}");
    Task wrapped = task(dir, "path = wrapped.json, eval_fraction = 0.5");
    List<Example> w = all(wrapped);
    assertEquals("wrapped.json: data[0]", wrapped.origin(w.get(0)));
    assertEquals("Hello!", w.get(0).answer());
    assertEquals(List.of(new Example.Turn("user", "Hi")), w.get(0).messages());
  }

  @Test
  void readsPlainLayoutAndColumnMappingWithASeparateEvalFile() throws Exception {
    Files.writeString(
        dir.resolve("gsm.jsonl"),
        "{\"question\": \"Ann has 3 pens and buys 2. How many?\", \"answer\": \"3 + 2 = 5\\n"
            + "#### 5\"}\n"
            + "{\"question\": \"Bo has 7 and loses 4. How many?\", \"answer\": \"7 - 4 = 3\\n"
            + "#### 3\"}\n");
    Files.writeString(
        dir.resolve("gsm_test.jsonl"),
        "{\"question\": \"Cy has 1 and finds 1. How many?\", \"answer\": \"1 + 1 = 2\\n"
            + "#### 2\"}\n");
    Task plain =
        task(
            dir,
            "path = gsm.jsonl, eval_path = gsm_test.jsonl, eval_fraction = 0.5,"
                + " match = last_number");
    assertEquals(2, plain.train().size());
    assertEquals(1, plain.heldOut().size());
    Example first = plain.train().get(0);
    assertEquals("Ann has 3 pens and buys 2. How many?", first.prompt());
    assertTrue(plain.isCorrect(first, "So she has 5 pens."));
    assertFalse(plain.isCorrect(first, "So she has 6 pens."));
    assertEquals("gsm_test.jsonl:1", plain.origin(plain.heldOut().get(0)));

    Files.writeString(
        dir.resolve("mine.jsonl"),
        "{\"query\": \"x?\", \"meta\": {\"gold\": 42, \"src\": \"m\"}}\n"
            + "{\"query\": \"y?\", \"meta\": {\"gold\": 7, \"src\": \"m\"}}\n");
    Task mapped =
        task(
            dir,
            "path = mine.jsonl, eval_fraction = 0.5, layout = plain,"
                + " columns { prompt = query, answer = meta.gold }");
    List<Example> m = all(mapped);
    assertEquals("x?", m.get(0).prompt());
    assertEquals("42", m.get(0).answer());
    assertEquals(Map.of("meta", Map.of("gold", 42, "src", "m")), m.get(0).columns());

    // verl's names for the same mapping read the same rows; naming two columns is refused.
    Task verlNamed =
        task(
            dir,
            "path = mine.jsonl, eval_fraction = 0.5, layout = plain,"
                + " prompt_key = query, answer_key = meta.gold");
    assertEquals(
        m.stream().map(Example::answer).toList(),
        all(verlNamed).stream().map(Example::answer).toList());
    ConfigException both =
        assertThrows(
            ConfigException.class,
            () ->
                task(
                    dir,
                    "path = mine.jsonl, layout = plain, prompt_key = query,"
                        + " columns { prompt = other, answer = meta.gold }"));
    assertTrue(both.getMessage().contains("task.prompt_key"), both.getMessage());
    assertTrue(both.getMessage().contains("task.columns.prompt"), both.getMessage());
  }

  @Test
  void readsFilesWrittenByHuggingFaceDatasets() throws Exception {
    for (String name : List.of("hf.parquet", "hf.json")) {
      List<Example> rows = all(task(files, "path = " + name + ", eval_fraction = 0.5"));
      assertEquals(6, rows.size(), name);
      Example q3 = rows.stream().filter(e -> e.prompt().equals("Q3")).findFirst().orElseThrow();
      assertEquals("3", q3.answer(), name);
      assertEquals(1, ((Number) q3.columns().get("difficulty")).intValue(), name);
      assertEquals(List.of(new Example.Turn("user", "Q3")), q3.messages(), name);
    }
  }

  @Test
  void badRowsAndSettingsAreOneLineNamingTheRowAndTheKey() throws Exception {
    String holes =
        assertThrows(
                ConfigException.class,
                () -> task(files, "path = holes.parquet, eval_fraction = 0.5"))
            .getMessage();
    assertTrue(holes.startsWith("holes.parquet: row 2: column \"prompt\" is null"), holes);
    assertTrue(holes.contains("task.columns.prompt"), holes);

    Files.writeString(
        dir.resolve("role.jsonl"), "{\"prompt\": [{\"role\": \"bot\", \"content\": \"x\"}]}\n");
    String role = error("path = role.jsonl, eval_fraction = 0.5");
    assertTrue(role.startsWith("role.jsonl:1: column \"prompt\" message 0:"), role);

    Files.writeString(
        dir.resolve("q.jsonl"),
        "{\"question\": \"a\", \"answer\": \"1\"}\n" + "{\"question\": \"b\"}\n");
    String missing = error("path = q.jsonl, eval_fraction = 0.5");
    assertTrue(missing.startsWith("q.jsonl:2: no column \"answer\""), missing);
    assertTrue(missing.contains("task.columns.answer"), missing);

    Files.writeString(dir.resolve("odd.jsonl"), "{\"text\": \"a\"}\n");
    String odd = error("path = odd.jsonl, eval_fraction = 0.5");
    assertTrue(
        odd.startsWith("odd.jsonl:1: cannot tell the data layout") && odd.contains("text"), odd);

    Files.writeString(dir.resolve("data.csv"), "a,b\n");
    assertTrue(error("path = data.csv, eval_fraction = 0.5").contains(".jsonl, .json or .parquet"));
    Files.writeString(dir.resolve("bad.parquet"), "not parquet at all");
    String bad = error("path = bad.parquet, eval_fraction = 0.5");
    assertTrue(bad.startsWith("bad.parquet: cannot read it as Parquet"), bad);
    String layout = error("path = q.jsonl, eval_fraction = 0.5, layout = hf");
    assertTrue(layout.contains("'task.layout' must be auto, verl, trl or plain"), layout);
    for (String message : List.of(holes, role, missing, odd, bad, layout)) {
      assertEquals(1, message.lines().count(), message);
    }
  }

  private String error(String settings) {
    return assertThrows(ConfigException.class, () -> task(dir, settings)).getMessage();
  }
}
