package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ProjectRoot;

/**
 * The README's user reward, as a user runs it: examples/keyword-reward compiled with javac into a
 * class folder outside tokenrl's classpath, named by {@code plugins} in a run config, trains GRPO
 * steps whose metrics carry the reward's scores.
 */
class UserRewardTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path EXAMPLE = ProjectRoot.get().resolve("examples/keyword-reward");

  @TempDir Path tmp;

  @Test
  void aRewardClassFromTheConfigsPluginsFolderTrains() throws Exception {
    assertTrainsWithTheExample(tmp.resolve("local"));
  }

  /** The Ray actors score the rows themselves: they must load the class from the same folder. */
  @Test
  void rayActorsLoadThePluginRewardToo() throws Exception {
    assertTrainsWithTheExample(
        tmp.resolve("ray"),
        "distributed.backend=ray",
        "distributed.rewards_on=actors",
        "distributed.ray.actors=1");
  }

  private void assertTrainsWithTheExample(Path dir, String... extra) throws Exception {
    Path classes = dir.resolve("classes");
    compile(EXAMPLE.resolve("src/com/example/KeywordReward.java"), classes);
    assertTrue(Files.isRegularFile(classes.resolve("com/example/KeywordReward.class")));
    // The test JVM must not see the class by itself, or the plugin mechanism proves nothing.
    assertTrue(
        ClassLoader.getSystemClassLoader().getResource("com/example/KeywordReward.class") == null,
        "the example class is already on the test classpath");

    // The example's config, next to its own classes/ folder (plugins are relative to the file).
    Path conf = dir.resolve("keyword.conf");
    Files.copy(EXAMPLE.resolve("keyword.conf"), conf);
    Path run = dir.resolve("run");
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "train",
                conf.toString(),
                "sft.steps=0",
                "trainer.steps=2",
                "trainer.prompts_per_step=4",
                "trainer.eval_every=0",
                "trainer.checkpoint_every=0",
                "trainer.run_dir=\"" + run + "\""));
    args.addAll(List.of(extra));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());

    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    int steps = 0;
    for (String line : lines) {
      JsonNode m = JSON.readTree(line);
      if (m.has("reward/keyword_reward_mean")) {
        steps++;
        double v = m.get("reward/keyword_reward_mean").asDouble();
        assertTrue(v >= 0 && v <= 1, line);
        assertTrue(m.get("optim/grad_norm").asDouble() > 0, "an update was taken: " + line);
      }
    }
    assertEquals(2, steps, String.join("\n", lines));
    // The run's config.conf names the folder absolutely, so --resume finds it from anywhere.
    String saved = Files.readString(run.resolve("config.conf"));
    assertTrue(saved.contains(classes.toAbsolutePath().toString()), saved);
  }

  /**
   * A Python reward in each signature (verl's per-sample compute_score, TRL's batched function)
   * trains two GRPO steps from a run config, in-process and with the Ray actors scoring.
   */
  @Test
  void pythonRewardsInBothSignaturesTrainLocallyAndOnRay() throws Exception {
    Path verl = tmp.resolve("verl_reward.py");
    Files.writeString(
        verl,
        """
        def compute_score(data_source, solution_str, ground_truth, extra_info=None):
            score = float(solution_str.strip() == ground_truth)
            return {"score": score, "length": len(solution_str)}
        """);
    Path trl = tmp.resolve("trl_reward.py");
    Files.writeString(
        trl,
        """
        def spread(prompts, completions, completion_ids, **kwargs):
            # Differs between a group's samples from the first step, so the update has a signal.
            return [(sum(ids) % 7 + 1) / 8.0 for ids in completion_ids]
        """);
    String rewards =
        "rewards=[{name = python, path = \""
            + verl
            + "\"}, {name = python, path = \""
            + trl
            + "\", function = spread, weight = 0.5}]";
    for (String backend : List.of("local", "ray")) {
      Path run = tmp.resolve("py-" + backend);
      List<String> args =
          new java.util.ArrayList<>(
              List.of(
                  "train",
                  ProjectRoot.get().resolve("configs/quickstart.conf").toString(),
                  rewards,
                  "sft.steps=0",
                  "trainer.steps=2",
                  "trainer.prompts_per_step=4",
                  "trainer.dynamic_sampling=off",
                  "trainer.eval_every=0",
                  "trainer.checkpoint_every=0",
                  "trainer.run_dir=\"" + run + "\""));
      if (backend.equals("ray")) {
        args.addAll(
            List.of(
                "distributed.backend=ray",
                "distributed.rewards_on=actors",
                "distributed.ray.actors=1"));
      }
      CliRun r = CliRun.of(args.toArray(String[]::new));
      assertEquals(0, r.code(), backend + ": " + r.err());
      int steps = 0;
      for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
        JsonNode m = JSON.readTree(line);
        if (!m.has("optim/grad_norm")) {
          continue;
        }
        steps++;
        assertTrue(m.get("optim/grad_norm").asDouble() > 0, "an update was taken: " + line);
        // Duplicate names get their index: python_0 (verl), python_1 (TRL).
        double exact = m.get("reward/python_0_mean").asDouble();
        double spread = m.get("reward/python_1_mean").asDouble();
        assertTrue(exact >= 0 && exact <= 1, line);
        assertTrue(spread > 0 && spread <= 1, line);
        // The verl dict's other keys are logged on both backends (actors send them back).
        assertTrue(m.get("reward/python_0/length").asDouble() > 0, backend + ": " + line);
      }
      assertEquals(2, steps, backend);
    }
  }

  @Test
  void aMissingPluginFolderIsOneLineBeforeAnyWork() {
    Path run = tmp.resolve("run");
    CliRun r =
        CliRun.of(
            "train",
            ProjectRoot.get().resolve("configs/quickstart.conf").toString(),
            "plugins=[\"" + tmp.resolve("nope") + "\"]",
            "trainer.run_dir=\"" + run + "\"");
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("plugins entry"), r.err());
    assertTrue(!Files.exists(run), "no run directory for a rejected config");
  }

  private static void compile(Path source, Path out) throws Exception {
    Files.createDirectories(out);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        javac.run(
            null,
            null,
            err,
            "-cp",
            System.getProperty("java.class.path"),
            "-d",
            out.toString(),
            source.toString());
    assertEquals(0, code, err.toString());
  }
}
