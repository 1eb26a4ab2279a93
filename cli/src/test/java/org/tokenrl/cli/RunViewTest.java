package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.PythonRunner;
import org.tokenrl.trainer.loop.TrainingRunTest;

/**
 * What a researcher sees of a run, each part read by an independent reader: the console of a real
 * {@code ./tokenrl train} under a pseudo-terminal ({@code script}) rendered as a terminal would,
 * the piped console, the event file through TensorBoard's own server app, the saved rollouts
 * through pyarrow, and {@code credit RUN --step N} on them. One tiny quickstart run (4 SFT + 4 GRPO
 * steps) serves the terminal, TensorBoard and rollout checks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunViewTest {
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  private static final int SFT = 4;
  private static final int RL = 4;

  private Path tmp;
  private Path run;
  private String terminal; // what the pseudo-terminal received, escape codes and all
  private JsonNode view; // run_view.py's reading of the run

  @BeforeAll
  void trainUnderAPseudoTerminal(@TempDir Path dir) throws Exception {
    tmp = dir;
    run = tmp.resolve("runs/pty");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-Dtokenrl.root=" + TrainingRunTest.ROOT);
    cmd.addAll(
        List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "train"));
    cmd.add(TrainingRunTest.ROOT.resolve("configs/quickstart.conf").toString());
    cmd.addAll(overrides(run));
    StringBuilder line = new StringBuilder();
    for (String c : cmd) {
      line.append('\'').append(c.replace("'", "'\\''")).append("' ");
    }
    Path out = tmp.resolve("pty.out");
    ProcessBuilder pb =
        new ProcessBuilder("script", "-qefc", line.toString(), "/dev/null")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    pb.environment().put("COLUMNS", "200");
    pb.environment().remove("TOKENRL_PROGRESS");
    Process p = pb.start();
    p.getOutputStream().close();
    int code = p.waitFor();
    terminal = Files.readString(out, StandardCharsets.UTF_8);
    assertEquals(0, code, terminal);
    System.out.println(String.join("\n", render(terminal))); // the screen, in the test report
    view = JSON.readTree(PythonRunner.run(resource("/run_view.py"), run.toString()));
  }

  private static List<String> overrides(Path runDir) {
    List<String> o = new ArrayList<>();
    for (String s : TrainingRunTest.tinyOverrides(runDir)) {
      if (s.startsWith("sft.steps=")) {
        s = "sft.steps=" + SFT;
      } else if (s.startsWith("trainer.steps=")) {
        s = "trainer.steps=" + RL;
      } else if (s.startsWith("rewards=")) {
        // BLEU at half weight: its unweighted mean is not the total even when no answer is right
        s = "rewards=[{name=task, weight=1.0}, {name=bleu, weight=0.5, smoothing=method1}]";
      }
      o.add(s);
    }
    return o;
  }

  @Test
  void terminalShowsOneUpdatingLinePerPhaseWithAnEtaFromStepOne() throws Exception {
    assertTrue(terminal.contains("\r"), "a terminal gets carriage returns");
    List<String> screen = render(terminal);
    // Each phase leaves exactly one progress line on screen, at its last step...
    for (String phase : List.of("sft", "grpo")) {
      Pattern bar = Pattern.compile("^" + phase + " (\\d+)/4 \\[[#-]{20}\\]");
      List<String> lines = screen.stream().filter(l -> bar.matcher(l).find()).toList();
      assertEquals(1, lines.size(), phase + " progress lines on screen: " + screen);
      assertTrue(lines.get(0).startsWith(phase + " 4/4 [####################]"), lines.get(0));
      // ...having been redrawn in place at every step (no newline between the updates).
      for (int s = 1; s <= 4; s++) {
        assertTrue(terminal.contains("\r" + phase + " " + s + "/4 ["), phase + " step " + s);
      }
      // An ETA from the first step on, and a sane one: no more than the phase then took, with a
      // margin for the first step's start-up (the metrics' step times are the reference).
      Matcher first =
          Pattern.compile("\r" + phase + " 1/4 [^\r\n]*\\| ETA (\\d+)m(\\d\\d)s").matcher(terminal);
      assertTrue(first.find(), "no ETA at " + phase + " step 1: " + terminal);
      double eta = Integer.parseInt(first.group(1)) * 60 + Integer.parseInt(first.group(2));
      double rest =
          phaseSeconds(phase.equals("sft") ? 2 : SFT + 2, phase.equals("sft") ? SFT : SFT + RL);
      assertTrue(eta <= 10 * rest + 5, phase + ": ETA " + eta + " s at step 1, rest took " + rest);
    }
    String all = String.join("\n", screen);
    assertTrue(
        all.matches(
            "(?s).*trainable params: [\\d,]+ \\|\\| all params: [\\d,]+ \\|\\| trainable%:"
                + " 100\\.0000.*"),
        all);
    assertTrue(all.contains("device: cpu (ND4J"), all);
    assertTrue(all.contains("run dir: " + run), all);
    assertTrue(all.contains("[grpo] eval at step 2/4: held-out accuracy"), all);
    assertTrue(all.contains("[grpo] checkpoint step-0000006"), all);
    assertTrue(all.matches("(?s).*done in \\dm\\d\\ds: last held-out accuracy.*"), all);
    assertTrue(all.contains("checkpoint to use: " + run.resolve("checkpoints/step-0000008")), all);
  }

  @Test
  void pipedOutputIsPlainLinesEveryLogEverySteps() throws Exception {
    Path piped = tmp.resolve("runs/piped");
    List<String> args =
        new ArrayList<>(
            List.of("train", TrainingRunTest.ROOT.resolve("configs/quickstart.conf").toString()));
    args.addAll(overrides(piped));
    args.addAll(List.of("trainer.log_every=2", "trainer.save_rollouts=off"));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    assertFalse(r.out().contains("\r"), "no carriage returns in a pipe");
    List<String> progress = new ArrayList<>();
    for (String l : r.lines()) {
      if (l.matches("\\[(sft|grpo)\\] step \\d+/4 .*")) {
        progress.add(l.substring(0, l.indexOf(" |")));
      }
    }
    // Global steps 2, 4, 6, 8 (every 2), plus each phase's first step.
    assertEquals(
        List.of(
            "[sft] step 1/4",
            "[sft] step 2/4",
            "[sft] step 4/4",
            "[grpo] step 1/4",
            "[grpo] step 2/4",
            "[grpo] step 4/4"),
        progress,
        r.out());
    assertFalse(Files.exists(piped.resolve("rollouts")), "trainer.save_rollouts = off saves none");

    Path bad = tmp.resolve("runs/bad");
    List<String> badArgs = new ArrayList<>(args.subList(0, 2));
    badArgs.addAll(overrides(bad));
    badArgs.add("trainer.save_rollouts=sometimes");
    CliRun refused = CliRun.of(badArgs.toArray(String[]::new));
    assertEquals(2, refused.code());
    assertTrue(
        refused.err().contains("trainer.save_rollouts must be a step count N")
            && refused.err().contains("'sometimes'"),
        refused.err());
    assertFalse(Files.exists(bad), "refused before the run directory exists");
  }

  @Test
  void eventFileHasEachSeriesOnceTheLayoutAndCompletionStatistics() {
    Map<String, List<String>> byValues = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = view.get("scalars").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      byValues.computeIfAbsent(e.getValue().toString(), k -> new ArrayList<>()).add(e.getKey());
    }
    for (Map.Entry<String, List<String>> e : byValues.entrySet()) {
      JsonNode series = view.get("scalars").get(e.getValue().get(0));
      boolean constant = true;
      for (JsonNode point : series) {
        constant &= point.get(1).asDouble() == series.get(0).get(1).asDouble();
      }
      // A flat series (every value 0, say) may coincide; one that moves is logged once.
      assertTrue(
          constant || e.getValue().size() == 1, "one series under several names: " + e.getValue());
    }
    JsonNode scalars = view.get("scalars");
    for (String tag :
        List.of(
            "completions/mean_length",
            "completions/min_length",
            "completions/max_length",
            "completions/clipped_ratio",
            "completions/zero_std_group_frac",
            "train/reward_mean",
            "train/accuracy",
            "eval/accuracy")) {
      assertTrue(scalars.has(tag), tag + " missing: " + scalars.fieldNames());
      assertEquals(RL, tag.equals("eval/accuracy") ? RL : scalars.get(tag).size(), tag);
    }
    for (String gone :
        List.of("reward/task_mean", "rollout/response_len_mean", "train/truncated_frac")) {
      assertFalse(scalars.has(gone), gone + " is logged under its new name only");
    }
    JsonNode categories = view.get("layout").get("category");
    assertEquals("key charts", categories.get(0).get("title").asText(), "" + categories);
    List<String> charts = new ArrayList<>();
    categories.get(0).get("chart").forEach(c -> charts.add(c.get("title").asText()));
    assertEquals(
        List.of(
            "reward",
            "accuracy: train rollouts and held-out",
            "completion length (tokens)",
            "KL and entropy"),
        charts);
    String lengthTags = categories.get(0).get("chart").get(2).get("multiline").toString();
    assertTrue(lengthTags.contains("completions"), lengthTags);
  }

  @Test
  void savedRolloutsMatchTheMetricsAndCreditRendersThem() throws Exception {
    JsonNode files = view.get("rollouts");
    assertEquals(RL, files.size(), "one file per RL step");
    Map<Long, JsonNode> metrics = new HashMap<>();
    for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(l);
      metrics.put(n.get("step").asLong(), n);
    }
    for (int k = 0; k < RL; k++) {
      JsonNode f = files.get(k);
      long step = SFT + k + 1;
      assertEquals(String.format("step-%06d.arrow", step), f.get("file").asText());
      List<String> columns = new ArrayList<>();
      f.get("columns").forEach(c -> columns.add(c.asText()));
      assertEquals(
          List.of(
              "prompt_ids",
              "response_ids",
              "logprobs",
              "entropies",
              "example_id",
              "group",
              "truncated",
              "reference",
              "reward",
              "loss_mask",
              "prompt_text",
              "response_text",
              "correct",
              "reward_task",
              "reward_bleu",
              "advantages",
              "in_loss",
              "in_update",
              "kept"),
          columns);
      assertEquals("list<item: bool not null>", f.get("types").get("loss_mask").asText());
      assertEquals("list<item: bool not null>", f.get("types").get("in_loss").asText());
      assertEquals("4", f.get("metadata").get("group_size").asText());
      assertEquals(16, f.get("rows").asInt(), "B x G rows");
      assertTrue(f.get("shapes_agree").asBoolean());
      JsonNode m = metrics.get(step);
      assertEquals(m.get("train/reward_mean").asDouble(), f.get("reward_mean").asDouble(), 1e-9);
      assertEquals(m.get("train/accuracy").asDouble(), f.get("correct_mean").asDouble(), 1e-12);
      assertEquals(
          m.get("reward/bleu_mean").asDouble(), mean(f.get("components").get("reward_bleu")), 1e-9);
      assertEquals(
          m.get("completions/mean_length").asDouble(), f.get("length_mean").asDouble(), 1e-12);
      // update_row_frac is the share of rows in the update (dynamic_sampling = drop).
      double in = 0;
      for (JsonNode b : f.get("in_update")) {
        in += b.asBoolean() ? 1 : 0;
      }
      assertEquals(m.get("train/update_row_frac").asDouble(), in / 16, 1e-12);
    }

    // credit RUN --step N renders the same rows.
    long step = SFT + 2;
    JsonNode f = files.get(1);
    Path page = tmp.resolve("credit.html");
    CliRun r = CliRun.of("credit", run.toString(), "--step", "" + step, "--html", page.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.lines();
    assertEquals(4, lines.size(), "one line per group");
    String html = Files.readString(page);
    for (int g = 0; g < 4; g++) {
      JsonNode group = JSON.readTree(lines.get(g));
      assertEquals(g, group.get("group").asInt());
      assertEquals(f.get("in_update").get(g * 4).asBoolean(), group.get("in_update").asBoolean());
      for (int i = 0; i < 4; i++) {
        int row = g * 4 + i;
        assertEquals(
            f.get("response_text").get(row).asText(), group.get("responses").get(i).asText());
        JsonNode want = f.get("advantages").get(row);
        JsonNode got = group.get("advantages").get(i);
        assertEquals(want.size(), got.size());
        for (int t = 0; t < want.size(); t++) {
          assertEquals(want.get(t).asDouble(), got.get(t).asDouble(), 1e-6);
        }
      }
      assertTrue(html.contains(">group " + g), "group " + g + " on the page");
    }
    boolean anyLeftOut = false;
    for (JsonNode b : f.get("in_update")) {
      anyLeftOut |= !b.asBoolean();
    }
    assertEquals(anyLeftOut, html.contains("<h2 class=\"left\">"), "left-out groups are marked");
    CliRun one = CliRun.of("credit", run.toString(), "--step", "" + step, "--group", "2");
    assertEquals(1, one.lines().size(), one.out());
    CliRun missing = CliRun.of("credit", run.toString(), "--step", "3");
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("saved steps: 5, 6, 7, 8"), missing.err());
  }

  /** Wall seconds of global steps from..to by the metrics' own step times. */
  private double phaseSeconds(long from, long to) throws IOException {
    double s = 0;
    for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(l);
      long step = n.get("step").asLong();
      if (step >= from && step <= to && n.hasNonNull("perf/time_step")) {
        s += n.get("perf/time_step").asDouble();
      }
    }
    return s;
  }

  private static double mean(JsonNode values) {
    double s = 0;
    for (JsonNode v : values) {
      s += v.asDouble();
    }
    return s / values.size();
  }

  /**
   * The screen a terminal shows for {@code out}: carriage return to column 0, ESC[K clears to the
   * end of the line, newline moves down; other escape sequences are dropped.
   */
  static List<String> render(String out) {
    List<String> screen = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    int col = 0;
    for (int i = 0; i < out.length(); i++) {
      char c = out.charAt(i);
      if (c == '\r') {
        col = 0;
      } else if (c == '\n') {
        screen.add(line.toString());
        line.setLength(0);
        col = 0;
      } else if (c == '\u001b') {
        int end = i + 1;
        while (end < out.length() && !Character.isLetter(out.charAt(end))) {
          end++;
        }
        if (end < out.length() && out.charAt(end) == 'K') {
          line.setLength(Math.min(col, line.length()));
        }
        i = end;
      } else {
        if (col < line.length()) {
          line.setCharAt(col, c);
        } else {
          line.append(c);
        }
        col++;
      }
    }
    if (line.length() > 0) {
      screen.add(line.toString());
    }
    return screen;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = RunViewTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
