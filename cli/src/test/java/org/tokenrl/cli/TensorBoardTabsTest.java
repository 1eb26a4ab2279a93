package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.PythonRunner;
import org.tokenrl.runlog.Console;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.runlog.RunLog;
import org.tokenrl.trainer.loop.RunHParams;
import org.tokenrl.trainer.loop.SampleTable;
import org.tokenrl.trainer.loop.TrainingRunTest;

/**
 * The HPARAMS and TEXT tabs as TensorBoard itself serves them: tiny real runs, read back through
 * TensorBoard's data provider and the hparams and text plugins' HTTP routes.
 */
class TensorBoardTabsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SAMPLES = 3;

  @TempDir Path tmp;

  @Test
  void hparamsTabListsEveryRunWithItsSettingsMetricsAndStatus() throws Exception {
    Path logdir = tmp.resolve("runs");
    Path grpo =
        TrainingRunTest.train(
            logdir.resolve("grpo"),
            Long.MAX_VALUE,
            "tensorboard.samples=" + SAMPLES,
            "run.seed=7",
            "rewards=[{name=task, weight=1.0}]"); // exact match only: rewards are 0 or 1
    Path tempo =
        TrainingRunTest.train(
            logdir.resolve("tempo"), Long.MAX_VALUE, "algorithm=tempo", "tensorboard.samples=0");
    // A run that threw ends as a failure; a failed run that is resumed and finishes, a success.
    session(sessionRun(logdir.resolve("failed")), false);
    RunDirectory resumed = sessionRun(logdir.resolve("resumed"));
    session(resumed, false);
    session(resumed, true);

    JsonNode tabs = JSON.readTree(PythonRunner.run(script(), logdir.toString()));

    JsonNode experiment = tabs.get("experiment");
    Set<String> hparams = new HashSet<>();
    experiment.get("hparamInfos").forEach(h -> hparams.add(h.get("name").asText()));
    for (String key :
        List.of(
            "algorithm.name",
            "task.name",
            "model.name",
            "run.seed",
            "trainer.learning_rate",
            "sft.learning_rate",
            "trainer.group_size",
            "trainer.prompts_per_step",
            "algorithm.kl_beta",
            "algorithm.clip_eps_high",
            "algorithm.td_weight",
            "trainer.dynamic_sampling")) {
      assertTrue(hparams.contains(key), key + " missing from " + hparams);
    }
    // Only settings some run of the directory has (no D3S run here), and those that differ
    // between the runs (the algorithm) before those they share (the task).
    assertFalse(hparams.contains("algorithm.n_init"), "a D3S column without a D3S run");
    List<String> order = new ArrayList<>();
    experiment.get("hparamInfos").forEach(h -> order.add(h.get("name").asText()));
    assertTrue(order.indexOf("algorithm.name") < order.indexOf("task.name"), "" + order);
    Set<String> metrics = new HashSet<>();
    experiment.get("metricInfos").forEach(m -> metrics.add(m.get("name").get("tag").asText()));
    assertTrue(metrics.containsAll(List.of("eval/accuracy", "train/reward_mean")), "" + metrics);

    Map<String, JsonNode> sessions = new HashMap<>();
    for (JsonNode group : tabs.get("sessions").get("sessionGroups")) {
      assertEquals(1, group.get("sessions").size(), "one row per run");
      sessions.put(group.get("name").asText(), group);
    }
    assertEquals(Set.of("grpo", "tempo", "failed", "resumed"), sessions.keySet());
    JsonNode g = sessions.get("grpo").get("hparams");
    assertEquals("grpo", g.get("algorithm.name").asText());
    assertEquals("arith", g.get("task.name").asText());
    assertEquals(7, g.get("run.seed").asDouble());
    assertEquals(4, g.get("trainer.group_size").asDouble());
    assertEquals(2e-4, g.get("trainer.learning_rate").asDouble(), 1e-12);
    assertFalse(g.has("algorithm.td_weight"), "a GRPO run has no TEMPO setting");
    JsonNode t = sessions.get("tempo").get("hparams");
    assertEquals("tempo", t.get("algorithm.name").asText());
    assertEquals(1.0, t.get("algorithm.td_weight").asDouble());
    assertEquals(0.28, t.get("algorithm.clip_eps_high").asDouble(), 1e-12);

    assertEquals("STATUS_SUCCESS", status(sessions.get("grpo")));
    assertEquals("STATUS_SUCCESS", status(sessions.get("tempo")));
    assertEquals("STATUS_FAILURE", status(sessions.get("failed")));
    assertEquals("STATUS_SUCCESS", status(sessions.get("resumed")));

    // Each metric column holds the run's last value of that scalar.
    for (Path run : List.of(grpo, tempo)) {
      JsonNode values = sessions.get(run.getFileName().toString()).get("sessions").get(0);
      for (String metric : List.of("eval/accuracy", "train/reward_mean")) {
        double last = lastValue(run, metric);
        double shown = Double.NaN;
        for (JsonNode v : values.get("metricValues")) {
          if (v.get("name").get("tag").asText().equals(metric)) {
            shown = v.get("value").asDouble();
          }
        }
        assertEquals((float) last, (float) shown, run + " " + metric);
      }
    }

    JsonNode text = tabs.get("text");
    assertFalse(text.has("tempo"), "tensorboard.samples = 0 writes no sample tables");
    // Evaluations every 2 steps of each phase and at its end: SFT steps 2 and 3, main steps 2 and
    // 3 (global 5 and 6); rollout tables only in the RL phase.
    assertEquals(List.of(2L, 3L, 5L, 6L), steps(text.get("grpo").get(SampleTable.EVAL_TAG)));
    assertEquals(List.of(5L, 6L), steps(text.get("grpo").get(SampleTable.ROLLOUT_TAG)));
    for (JsonNode entry : text.get("grpo").get(SampleTable.EVAL_TAG)) {
      List<List<String>> rows = bodyRows(entry.get("text").asText());
      assertEquals(SAMPLES, rows.size());
      for (List<String> row : rows) {
        // The answer column is the held-out sum itself: check it from the prompt.
        Matcher m = Pattern.compile("(\\d+)\\+(\\d+)=").matcher(row.get(0));
        assertTrue(m.matches(), row.get(0));
        assertEquals(
            Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2)),
            Integer.parseInt(row.get(2)));
        assertEquals(row.get(1).equals(row.get(2)) ? "yes" : "no", row.get(3));
      }
    }
    for (JsonNode entry : text.get("grpo").get(SampleTable.ROLLOUT_TAG)) {
      List<List<String>> rows = bodyRows(entry.get("text").asText());
      assertEquals(SAMPLES, rows.size());
      for (List<String> row : rows) {
        assertTrue(row.get(0).matches("\\d+\\+\\d+="), row.get(0));
        // The credit cell's pieces spell the response; GRPO gives every token the same advantage.
        StringBuilder spelled = new StringBuilder();
        Set<String> advantages = new HashSet<>();
        for (String cell : row.get(3).split(" ")) {
          int colon = cell.lastIndexOf(':');
          String piece = cell.substring(0, colon);
          spelled.append(piece.equals("⟨eos⟩") ? "" : piece);
          assertTrue(cell.substring(colon + 1).matches("[+-]\\d\\.\\d\\d"), cell);
          advantages.add(cell.substring(colon + 1));
        }
        assertEquals(row.get(1), spelled.toString());
        assertEquals(1, advantages.size(), row.get(3));
        double reward = Double.parseDouble(row.get(2));
        assertTrue(reward == 0 || reward == 1, "exact-match reward " + reward);
      }
    }
  }

  @Test
  void aRunThatLearnsNothingSaysSoInTheTextTab() throws Exception {
    // One new token per answer: every 2-digit sum is cut off, every exact-match reward is 0, so
    // no group has reward spread; the fifth RL step in a row (global step 8) warns.
    Path logdir = tmp.resolve("runs");
    TrainingRunTest.train(
        logdir.resolve("stuck"),
        Long.MAX_VALUE,
        "rollout.max_new_tokens=1",
        "rewards=[{name=task, weight=1.0}]",
        "trainer.steps=6",
        "tensorboard.samples=0");
    JsonNode text = JSON.readTree(PythonRunner.run(script(), logdir.toString())).get("text");
    JsonNode notes = text.get("stuck").get(org.tokenrl.core.Metrics.NOTES_WARNINGS);
    assertEquals(List.of(8L), steps(notes), "one note, at the step that completed the streak");
    String note = notes.get(0).get("text").asText();
    assertTrue(note.contains("step 8: no learning signal for 5 steps in a row"), note);
    assertTrue(note.contains("raise rollout.max_new_tokens"), note);
  }

  @Test
  void runStoppedByCtrlCEndsWithAnEndTimeButNoSuccess() throws Exception {
    // A real `tokenrl train` in a child JVM, stopped by SIGTERM (what Ctrl-C's SIGINT also does:
    // the JVM runs its shutdown hooks) once the main phase is under way.
    Path run = tmp.resolve("runs/stopped");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-Dtokenrl.root=" + TrainingRunTest.ROOT);
    cmd.addAll(
        List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "train"));
    cmd.add(TrainingRunTest.ROOT.resolve("configs/quickstart.conf").toString());
    for (String o : TrainingRunTest.tinyOverrides(run)) {
      cmd.add(o.startsWith("trainer.steps=") ? "trainer.steps=100000" : o);
    }
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("child.log").toFile())
            .start();
    try {
      Path metrics = run.resolve("metrics.jsonl");
      long deadline = System.nanoTime() + 600_000_000_000L;
      while (!(Files.exists(metrics) && Files.readAllLines(metrics).size() > 4)) {
        assertTrue(p.isAlive(), () -> "child stopped early: " + read(tmp.resolve("child.log")));
        assertTrue(System.nanoTime() < deadline, "no main-phase step within 10 minutes");
        Thread.sleep(200);
      }
    } finally {
      p.destroy(); // SIGTERM
      p.waitFor();
    }
    JsonNode tabs = JSON.readTree(PythonRunner.run(script(), tmp.resolve("runs").toString()));
    JsonNode session = tabs.get("sessions").get("sessionGroups").get(0).get("sessions").get(0);
    assertEquals("stopped", session.get("name").asText());
    assertEquals("STATUS_UNKNOWN", session.get("status").asText());
    assertTrue(
        session.get("endTimeSecs").asDouble() > session.get("startTimeSecs").asDouble(),
        "the abort is recorded with its time: " + session);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** A run directory with a config, as `tokenrl train` makes it, for RunLog-only sessions. */
  private static RunDirectory sessionRun(Path runDir) throws IOException {
    RunDirectory dir = RunDirectory.createNew(runDir.toString(), "t");
    Files.writeString(dir.config(), TrainingRunTest.tinyConfig(runDir).render());
    return dir;
  }

  /** One part of a run: it ends by succeeded(), or by close() alone as when an exception flies. */
  private static void session(RunDirectory dir, boolean succeed) {
    try (RunLog log = new RunLog(dir, true, Console.system())) {
      // The columns a training run writes (RunHParams: the settings that apply, siblings' too).
      log.startSession(
          RunHParams.of(ConfigLoader.loadResolved(dir.config()).config(), dir.path()), 0);
      log.metrics(1, Map.of("eval/accuracy", 0.5));
      if (succeed) {
        log.succeeded();
      }
    }
  }

  private static String status(JsonNode group) {
    return group.get("sessions").get(0).get("status").asText();
  }

  private static double lastValue(Path run, String metric) throws IOException {
    double last = Double.NaN;
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      if (n.hasNonNull(metric)) {
        last = n.get(metric).asDouble();
      }
    }
    return last;
  }

  private static List<Long> steps(JsonNode entries) {
    List<Long> out = new ArrayList<>();
    entries.forEach(e -> out.add(e.get("step").asLong()));
    return out;
  }

  /** The cells of each body row of the HTML table TensorBoard rendered from our markdown. */
  private static List<List<String>> bodyRows(String html) {
    String body = html.substring(html.indexOf("<tbody>"), html.indexOf("</tbody>"));
    List<List<String>> rows = new ArrayList<>();
    Matcher row = Pattern.compile("<tr>(.*?)</tr>", Pattern.DOTALL).matcher(body);
    while (row.find()) {
      List<String> cells = new ArrayList<>();
      Matcher cell = Pattern.compile("<td>(.*?)</td>", Pattern.DOTALL).matcher(row.group(1));
      while (cell.find()) {
        cells.add(
            cell.group(1)
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&"));
      }
      rows.add(cells);
    }
    return rows;
  }

  private static String script() throws IOException {
    try (InputStream in = TensorBoardTabsTest.class.getResourceAsStream("/tensorboard_tabs.py")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
