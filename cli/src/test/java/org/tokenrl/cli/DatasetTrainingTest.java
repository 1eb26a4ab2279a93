package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.core.PythonRunner;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.io.HfExport;
import org.tokenrl.model.io.ModelCache;
import org.tokenrl.model.io.PretrainedModel;
import org.tokenrl.model.io.SafeTensors;

/**
 * Users' own data trains without conversion: a parquet file in verl's layout (chat prompts rendered
 * by the model's chat template, a verl compute_score that sees each row's data_source, ground_truth
 * and extra_info), written by pyarrow, trains 2 GRPO steps from a run config; a TRL conversational
 * JSONL does too, with its extra column reaching a TRL function as a keyword; on Ray the actors
 * that score the rows see the columns as well; and bad data is one line, exit 2, before any run
 * directory exists.
 */
class DatasetTrainingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path shared;
  private static Path model;
  @TempDir Path tmp;

  /** A tiny random llama with SmolLM2's tokenizer and chat template, as an HF directory. */
  @BeforeAll
  static void tinyChatModel() throws Exception {
    HfTokenizer smol =
        PretrainedModel.loadTokenizer(
            ModelCache.standard().resolve("smollm2-135m-instruct", s -> {}));
    LlamaConfig tiny = new LlamaConfig(49152, 16, 24, 1, 2, 1, 8, 1e-5, 10000, true, 512, false);
    model = shared.resolve("tiny-chat");
    try (Policy random = Policy.create(tiny, OptimizerConfig.defaults(1e-3), 7)) {
      HfExport.write(
          model, tiny, random.exportWeights(), smol, smol.chatTemplate(), SafeTensors.DType.F32);
    }
  }

  /** verl's gsm8k preprocessing output, shrunk: train and test parquet files, 2 row groups. */
  private void verlFiles() throws Exception {
    PythonRunner.run(
        String.join(
            "\n",
            "import sys, pyarrow as pa, pyarrow.parquet as pq",
            "def rows(split, n):",
            "    return [{'data_source': 'openai/gsm8k',",
            "             'prompt': [{'role': 'system', 'content': 'Reason, then answer.'},",
            "                        {'role': 'user', 'content': 'Ann has %d pens\\nand buys 2. How"
                + " many?' % i}],",
            "             'ability': 'math',",
            "             'reward_model': {'style': 'rule', 'ground_truth': str(i + 2)},",
            "             'extra_info': {'split': split, 'index': i, 'secret': 'row-%d' % i}}",
            "            for i in range(n)]",
            "pq.write_table(pa.Table.from_pylist(rows('train', 8)), sys.argv[1] +"
                + " '/train.parquet',",
            "               row_group_size=5)",
            "pq.write_table(pa.Table.from_pylist(rows('test', 2)), sys.argv[1] + '/test.parquet')"),
        tmp.toString());
  }

  private Path conf(String body) throws Exception {
    Path conf = tmp.resolve("run.conf");
    Files.writeString(
        conf,
        "defaults { algorithm = grpo, task = dataset, model = tiny }\n"
            + body
            + "\nsft.steps = 0\n"
            + "rollout.max_new_tokens = 6\n"
            + "trainer { steps = 2, prompts_per_step = 2, group_size = 4, eval_every = 0,"
            + " checkpoint_every = 0, dynamic_sampling = off, eval_before_train = false }\n");
    return conf;
  }

  private static List<JsonNode> steps(Path run) throws Exception {
    List<JsonNode> steps = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode m = JSON.readTree(line);
      if (m.has("optim/grad_norm")) {
        steps.add(m);
      }
    }
    return steps;
  }

  @Test
  void aVerlParquetTrainsWithChatPromptsAndItsRewardSeesEveryColumn() throws Exception {
    verlFiles();
    Path seen = tmp.resolve("seen.jsonl");
    Path reward = tmp.resolve("gsm8k_reward.py");
    Files.writeString(
        reward,
        String.join(
            "\n",
            "import json",
            "def compute_score(data_source, solution_str, ground_truth, extra_info=None):",
            "    with open(" + JSON.writeValueAsString(seen.toString()) + ", 'a') as f:",
            "        f.write(json.dumps({'data_source': data_source, 'ground_truth': ground_truth,",
            "                            'extra_info': extra_info}) + '\\n')",
            "    # differs between a group's samples, so the updates have a signal",
            "    return {'score': (sum(map(ord, solution_str)) % 7) / 6.0,",
            "            'row': extra_info['index']}",
            ""));
    Path run = tmp.resolve("run");
    Path conf =
        conf(
            "model.path = \""
                + model
                + "\"\n"
                + "task { chat = true, path = \""
                + tmp.resolve("train.parquet")
                + "\", eval_path = \""
                + tmp.resolve("test.parquet")
                + "\" }\n"
                + "rewards = [{ name = python, path = \""
                + reward
                + "\" }]\n"
                + "trainer.run_dir = \""
                + run
                + "\"\n");
    CliRun r = CliRun.of("train", conf.toString());
    assertEquals(0, r.code(), r.err());
    List<JsonNode> steps = steps(run);
    assertEquals(2, steps.size());
    for (JsonNode m : steps) {
      assertTrue(m.get("optim/grad_norm").asDouble() > 0, "an update was taken: " + m);
      double row = m.get("reward/python/row").asDouble();
      assertTrue(row >= 0 && row <= 7, m.toString());
    }
    Set<String> secrets = new HashSet<>();
    List<String> lines = Files.readAllLines(seen);
    assertEquals(2 * 2 * 4, lines.size(), "2 steps x 2 prompts x 4 samples scored");
    for (String line : lines) {
      JsonNode s = JSON.readTree(line);
      assertEquals("openai/gsm8k", s.get("data_source").asText(), line);
      JsonNode extra = s.get("extra_info");
      int index = extra.get("index").asInt();
      assertEquals("train", extra.get("split").asText(), line);
      assertEquals(String.valueOf(index + 2), s.get("ground_truth").asText(), line);
      assertEquals("row-" + index, extra.get("secret").asText(), line);
      assertEquals("math", extra.get("ability").asText(), line);
      assertEquals(
          "Ann has " + index + " pens\nand buys 2. How many?", extra.get("prompt").asText());
      secrets.add(extra.get("secret").asText());
    }
    assertTrue(secrets.size() >= 2, "different rows were scored: " + secrets);
  }

  @Test
  void aTrlConversationalJsonlTrainsAndItsColumnsReachATrlFunction() throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      rows.append(
              JSON.writeValueAsString(
                  java.util.Map.of(
                      "prompt",
                      List.of(java.util.Map.of("role", "user", "content", "Say " + i + ".")),
                      "solution",
                      String.valueOf(i),
                      "level",
                      i % 3)))
          .append('\n');
    }
    Files.writeString(tmp.resolve("trl.jsonl"), rows);
    Path seen = tmp.resolve("kwargs.jsonl");
    Path reward = tmp.resolve("trl_reward.py");
    Files.writeString(
        reward,
        String.join(
            "\n",
            "import json",
            "def accuracy(prompts, completions, solution, level, **kwargs):",
            "    with open(" + JSON.writeValueAsString(seen.toString()) + ", 'a') as f:",
            "        f.write(json.dumps({'prompts': prompts, 'solution': solution, 'level': level,",
            "                            'completion': completions[0]}) + '\\n')",
            "    return [(sum(map(ord, c[0]['content'])) % 5) / 4.0 for c in completions]",
            ""));
    Path run = tmp.resolve("trl-run");
    Path conf =
        conf(
            "model.path = \""
                + model
                + "\"\n"
                + "task { chat = true, path = \""
                + tmp.resolve("trl.jsonl")
                + "\", eval_fraction = 0.34 }\n"
                + "rewards = [{ name = python, path = \""
                + reward
                + "\", function = accuracy }]\n"
                + "trainer.run_dir = \""
                + run
                + "\"\n");
    CliRun r = CliRun.of("train", conf.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(2, steps(run).size());
    for (String line : Files.readAllLines(seen)) {
      JsonNode s = JSON.readTree(line);
      JsonNode prompt = s.get("prompts").get(0);
      assertEquals("user", prompt.get(0).get("role").asText(), line);
      String said = prompt.get(0).get("content").asText().replaceAll("\\D", "");
      assertEquals(said, s.get("solution").get(0).asText(), line);
      assertEquals(Integer.parseInt(said) % 3, s.get("level").get(0).asInt(), line);
      assertEquals("assistant", s.get("completion").get(0).get("role").asText(), line);
    }
  }

  /** Ray actors build the task themselves: the rows they score carry the dataset's columns. */
  @Test
  void rayActorsScoringTheRowsSeeTheColumnsToo() throws Exception {
    // A parquet file: the actors read it themselves (parquet-java reaches their classpath).
    PythonRunner.run(
        "import sys, pyarrow as pa, pyarrow.parquet as pq\n"
            + "pq.write_table(pa.table({'question': ['%d+1=' % i for i in range(6)],"
            + " 'answer': [str(i + 1) for i in range(6)], 'tag': ['t%d' % i for i in range(6)]}),"
            + " sys.argv[1], row_group_size=4)\n",
        tmp.resolve("plain.parquet").toString());
    Path reward = tmp.resolve("tag_reward.py");
    Files.writeString(
        reward,
        String.join(
            "\n",
            "def compute_score(data_source, solution_str, ground_truth, extra_info=None):",
            "    tag = extra_info['tag']",
            "    assert tag == 't%d' % (int(ground_truth) - 1), (tag, ground_truth)",
            "    return {'score': (sum(map(ord, solution_str)) % 7) / 6.0,",
            "            'tag_number': float(tag[1:])}",
            ""));
    Path run = tmp.resolve("ray-run");
    Path conf =
        conf(
            "task { path = \""
                + tmp.resolve("plain.parquet")
                + "\", eval_fraction = 0.34 }\n"
                + "rewards = [{ name = python, path = \""
                + reward
                + "\" }]\n"
                + "distributed { backend = ray, rewards_on = actors, ray.actors = 1 }\n"
                + "trainer.run_dir = \""
                + run
                + "\"\n");
    CliRun r = CliRun.of("train", conf.toString(), "trainer.steps=1"); // one step tells
    assertEquals(0, r.code(), r.err());
    List<JsonNode> steps = steps(run);
    assertEquals(1, steps.size());
    for (JsonNode m : steps) {
      assertEquals(0.0, m.get("reward/errors").asDouble(), "the assert in the reward held: " + m);
      double tag = m.get("reward/python/tag_number").asDouble();
      assertTrue(tag >= 0 && tag <= 5, m.toString());
    }
  }

  @Test
  void badDataIsOneLineAndExitTwoBeforeAnyRunDirectory() throws Exception {
    verlFiles();
    Path run = tmp.resolve("never");
    // A chat prompt without task.chat: named by the parquet row.
    Path noChat =
        conf(
            "model.path = \""
                + model
                + "\"\n"
                + "task { path = \""
                + tmp.resolve("train.parquet")
                + "\", eval_fraction = 0.25 }\n"
                + "trainer.run_dir = \""
                + run
                + "\"\n");
    CliRun r = CliRun.of("train", noChat.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("train.parquet: row ") && r.err().contains("task.chat"), r.err());
    assertFalse(Files.exists(run));

    PythonRunner.run(
        "import sys, pyarrow as pa, pyarrow.parquet as pq\n"
            + "pq.write_table(pa.table({'question': ['a', None], 'answer': ['1', '2']}),"
            + " sys.argv[1])\n",
        tmp.resolve("holes.parquet").toString());
    Path holes =
        conf(
            "task { path = \""
                + tmp.resolve("holes.parquet")
                + "\", eval_fraction = 0.5 }\n"
                + "trainer.run_dir = \""
                + run
                + "\"\n");
    r = CliRun.of("train", holes.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("holes.parquet: row 1: column \"question\" is null"), r.err());
    assertFalse(Files.exists(run));

    // Line breaks need a real tokenizer: the character model names the row and model.path.
    Files.writeString(
        tmp.resolve("lines.jsonl"),
        "{\"question\": \"one\\n"
            + "two\", \"answer\": \"1\"}\n"
            + "{\"question\": \"x\", \"answer\": \"2\"}\n");
    Path chars =
        conf(
            "task { path = \""
                + tmp.resolve("lines.jsonl")
                + "\", eval_fraction = 0.5 }\n"
                + "trainer.run_dir = \""
                + run
                + "\"\n");
    r = CliRun.of("train", chars.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("lines.jsonl:1: the prompt holds U+000A"), r.err());
    assertTrue(r.err().contains("model.path"), r.err());
    assertFalse(Files.exists(run));
  }
}
