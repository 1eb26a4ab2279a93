package org.tokenrl.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.tokenrl.runlog.RunRecord;
import org.tokenrl.tools.compare.CompareHtml;
import org.tokenrl.tools.compare.RunComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tokenrl compare RUN_DIR... [--target K=V] [--metric K[:AGG]] [--json] [--html OUT]}:
 * runs grouped over seeds, summarised by {@link RunComparison}.
 */
@Command(
    name = "compare",
    description =
        "compare runs over seeds: table (mean ± std), --json, --html curves with seed bands",
    footer = CompareCommand.DETAILS)
final class CompareCommand extends CliCommand {
  static final String DETAILS =
      """

      Reads each run's config.conf and metrics.jsonl (a directory that is not a run is searched
      for runs below it; quoted globs are expanded), groups runs whose configs differ only in
      run.seed, run.name, run.init_from, trainer.run_dir and logging-only keys (tensorboard.*,
      trainer.log_every, trainer.save_rollouts) -- or, with --by KEY, runs with the same value
      of KEY, with a warning naming every other key they differ in -- and prints one Markdown
      row per group:
      mean ± sample std over its runs of held-out accuracy (eval/accuracy) at the main phase's
      start (the end of the SFT warm-up), at the end and at best; with --target, how many runs
      met it and the main-phase steps, rollout tokens (sum of perf/rollout_tokens) and wall
      seconds (sum of perf/time_step) until they first did; each --metric; and the main phase's
      steps and wall seconds; the binomial standard error of the final and best held-out
      accuracy (sqrt(p(1-p)/n) per run, n the held-out examples from train.log or
      trainer.eval_size; for a group, of its mean over seeds). With --baseline KEY=VALUE, a
      second table: each group's difference to that group in final and best accuracy, its
      standard error and which differences exceed two standard errors. The first columns are
      every config key the runs differ in, presets' keys included (the --by keys first; "a / b"
      where a group holds several values).
      --html draws the curves over the RL phase: step 0 is the end of the SFT warm-up and rollout
      tokens and wall seconds count from there, so runs with warm-ups of different lengths line
      up.

      example:
        ./tokenrl compare experiments/credit-assignment/runs/arith --target eval/accuracy=0.8 \\
            --metric train/reward_mean:last10 --html arith.html\
      """;

  @Parameters(
      arity = "1..*",
      paramLabel = "RUN_DIR",
      description = "run directories, folders of runs, or globs")
  private List<String> inputs = new ArrayList<>();

  @Option(
      names = "--target",
      paramLabel = "KEY=VALUE",
      description = "first logged KEY >= VALUE, e.g. eval/accuracy=0.8 (KEY<=VALUE: at most)")
  private String target;

  @Option(
      names = "--metric",
      paramLabel = "KEY[:AGG]",
      description =
          "a column per metric (repeatable); AGG: last (default), first, max, min, lastN or firstN"
              + " (mean of the last/first N logged values), e.g. train/reward_mean:last10")
  private List<String> metrics = new ArrayList<>();

  @Option(
      names = "--by",
      paramLabel = "KEY",
      split = ",",
      description =
          "group by these config keys only (repeatable or comma-separated), e.g. --by"
              + " algorithm.name: mean ± std over every run with the same value; a warning names"
              + " every other key the runs differ in")
  private List<String> by = new ArrayList<>();

  @Option(
      names = "--baseline",
      paramLabel = "KEY=VALUE[,KEY=VALUE]",
      description =
          "the group the others are compared with, e.g. algorithm.name=grpo: differences in final"
              + " and best accuracy, their standard errors, and which exceed two of them")
  private String baseline;

  @Option(names = "--json", description = "print the report as JSON (every run's values too)")
  private boolean json;

  @Option(
      names = "--html",
      paramLabel = "OUT",
      description =
          "also write a self-contained HTML report: the table and --curve against step, rollout"
              + " tokens and wall seconds, one line per group with a ± 1 std band over seeds")
  private Path html;

  @Option(
      names = "--curve",
      paramLabel = "KEY",
      description = "the metric drawn in --html (default: eval/accuracy)")
  private String curve = RunComparison.ACCURACY;

  @Option(names = "--force", description = "overwrite an existing --html file")
  private boolean force;

  @Override
  int execute() throws IOException {
    try {
      refuseExisting(html, force);
    } catch (BadInput e) {
      return fail(e.getMessage());
    }
    RunComparison report;
    Differences vsBaseline;
    try {
      RunComparison.Target t = target == null ? null : RunComparison.Target.parse(target);
      List<RunComparison.MetricSpec> specs = new ArrayList<>();
      for (String m : metrics) {
        specs.add(RunComparison.MetricSpec.parse(m));
      }
      List<RunRecord> runs = new ArrayList<>();
      for (Path dir : runDirectories(inputs)) {
        runs.add(RunRecord.load(dir));
      }
      report = new RunComparison(runs, t, specs, by);
      vsBaseline = baseline == null ? null : Differences.against(report, baseline);
    } catch (IllegalArgumentException e) {
      return fail(e.getMessage());
    }
    warnings(report).forEach(w -> console().err().println("warning: " + w));
    console()
        .out()
        .print(
            json
                ? json(report, vsBaseline) + "\n"
                : table(report) + (vsBaseline == null ? "" : "\n" + vsBaseline.table()));
    if (html != null) {
      Path parent = html.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(html, CompareHtml.render(report, table(report), curve));
      if (!json) {
        console().out().println("\nwrote " + html);
      }
    }
    return 0;
  }

  /**
   * The run directories named by {@code inputs}: runs themselves, directories searched for runs
   * below them, and globs (for a shell that left them unexpanded), sorted.
   */
  static List<Path> runDirectories(List<String> inputs) throws IOException {
    TreeSet<Path> out = new TreeSet<>();
    for (String input : inputs) {
      List<Path> roots = new ArrayList<>();
      if (input.matches(".*[*?\\[{].*")) {
        Path base = Path.of(".");
        String pattern = input;
        int slash = input.substring(0, firstGlobChar(input)).lastIndexOf('/');
        if (slash >= 0) {
          base = Path.of(input.substring(0, Math.max(1, slash)));
          pattern = input.substring(slash + 1);
        }
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        if (Files.isDirectory(base)) {
          final Path from = base;
          try (Stream<Path> s = Files.walk(base, pattern.split("/").length)) {
            s.filter(p -> matcher.matches(from.relativize(p))).forEach(roots::add);
          }
        }
        if (roots.isEmpty()) {
          throw new IllegalArgumentException(input + " matches no file");
        }
      } else {
        Path p = Path.of(input);
        if (!Files.isDirectory(p)) {
          throw new IllegalArgumentException(input + " is not a directory");
        }
        roots.add(p);
      }
      int before = out.size();
      for (Path root : roots) {
        if (RunRecord.isRun(root)) {
          out.add(root.normalize());
        } else if (Files.isDirectory(root)) {
          try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isDirectory)
                .filter(RunRecord::isRun)
                .map(Path::normalize)
                .forEach(out::add);
          }
        }
      }
      if (out.size() == before) {
        throw new IllegalArgumentException(
            input + " holds no run (a directory with config.conf and metrics.jsonl)");
      }
    }
    return new ArrayList<>(out);
  }

  private static int firstGlobChar(String s) {
    for (int i = 0; i < s.length(); i++) {
      if ("*?[{".indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return s.length();
  }

  /**
   * With {@code --by}: what else differs between the runs (a preset's keys too), and which groups
   * average over more than seeds.
   */
  static List<String> warnings(RunComparison r) {
    List<String> out = new ArrayList<>();
    if (r.by().isEmpty()) {
      return out;
    }
    String asked = "--by " + String.join(",", r.by());
    if (!r.unasked().isEmpty()) {
      List<String> parts = new ArrayList<>();
      r.unasked().forEach((k, v) -> parts.add(k + " (" + v + ")"));
      out.add(
          "the runs differ in more than "
              + asked
              + ": "
              + String.join(", ", parts)
              + "; each is a column of the table");
    }
    if (!r.mixed().isEmpty()) {
      out.add(
          asked
              + " puts runs with different "
              + String.join(", ", r.mixed())
              + " in one group: its mean ± std is over more than seeds");
    }
    return out;
  }

  // ---------------------------------------------------------------- table

  private record Column(String header, ToDoubleFunction<RunComparison.RunStats> stat, String fmt) {}

  private static List<Column> numberColumns(RunComparison r) {
    List<Column> cols = new ArrayList<>();
    cols.add(new Column("start acc", RunComparison.RunStats::start, "%.3f"));
    cols.add(new Column("final acc", RunComparison.RunStats::finalAccuracy, "%.3f"));
    cols.add(new Column("best acc", RunComparison.RunStats::best, "%.3f"));
    for (RunComparison.MetricSpec m : r.metrics()) {
      cols.add(new Column(m.spec(), s -> s.metrics().get(m.spec()), "%.3f"));
    }
    return cols;
  }

  private static List<Column> targetColumns() {
    return List.of(
        new Column("steps to target", RunComparison.RunStats::targetSteps, "%.0f"),
        new Column("rollout tokens to target", RunComparison.RunStats::targetTokens, "%,.0f"),
        new Column("wall s to target", RunComparison.RunStats::targetSeconds, "%.0f"));
  }

  static String table(RunComparison r) {
    StringBuilder md = new StringBuilder();
    if (r.target() != null) {
      md.append("target: ").append(r.target()).append("\n\n");
    }
    List<String> headers = new ArrayList<>(r.columns());
    if (headers.isEmpty()) {
      headers.add("group");
    }
    headers.add("seeds");
    numberColumns(r).forEach(c -> headers.add(c.header()));
    headers.add(Differences.FINAL_SE);
    headers.add(Differences.BEST_SE);
    if (r.target() != null) {
      headers.add("reached target");
      targetColumns().forEach(c -> headers.add(c.header()));
    }
    headers.add("main steps");
    headers.add("main wall s");
    md.append("| ").append(String.join(" | ", headers)).append(" |\n");
    md.append("|").append("---|".repeat(headers.size())).append("\n");
    for (RunComparison.Group g : r.groups()) {
      List<String> cells = new ArrayList<>(g.label().values());
      if (r.columns().isEmpty()) {
        cells.add("all");
      }
      cells.add(String.valueOf(g.runs().size()));
      for (Column c : numberColumns(r)) {
        cells.add(cell(g.summary(c.stat()), c.fmt()));
      }
      cells.add(
          Differences.number(Differences.binomialSe(g, RunComparison.RunStats::finalAccuracy)));
      cells.add(Differences.number(Differences.binomialSe(g, RunComparison.RunStats::best)));
      if (r.target() != null) {
        cells.add(g.reachedCount() + "/" + g.runs().size());
        for (Column c : targetColumns()) {
          cells.add(cell(g.summary(c.stat()), c.fmt()));
        }
      }
      cells.add(cell(g.summary(s -> s.mainSteps()), "%.0f"));
      cells.add(cell(g.summary(RunComparison.RunStats::wallSeconds), "%.0f"));
      md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }
    return md.toString();
  }

  /** "mean ± std", the mean alone for one value, "—" for none. */
  static String cell(RunComparison.Summary s, String fmt) {
    if (s.n() == 0) {
      return "—";
    }
    String mean = String.format(Locale.ROOT, fmt, s.mean());
    return s.n() == 1 ? mean : mean + " ± " + String.format(Locale.ROOT, fmt, s.std());
  }

  // ---------------------------------------------------------------- json

  static String json(RunComparison r) {
    return json(r, null);
  }

  static String json(RunComparison r, Differences vsBaseline) {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.putPOJO("columns", r.columns());
    root.putPOJO("differing_keys", r.differing());
    root.putPOJO("by", r.by());
    root.putPOJO("legend_columns", r.legendColumns());
    root.putPOJO("warnings", warnings(r));
    if (r.target() != null) {
      ObjectNode t = root.putObject("target");
      t.put("metric", r.target().metric());
      t.put("op", r.target().atLeast() ? ">=" : "<=");
      t.put("value", r.target().value());
    } else {
      root.putNull("target");
    }
    root.putPOJO("metrics", r.metrics().stream().map(RunComparison.MetricSpec::spec).toList());
    ArrayNode groups = root.putArray("groups");
    Map<String, ToDoubleFunction<RunComparison.RunStats>> stats = statFunctions(r);
    for (RunComparison.Group g : r.groups()) {
      ObjectNode gn = groups.addObject();
      ObjectNode label = gn.putObject("label");
      g.label().forEach(label::put);
      ObjectNode differs = gn.putObject("config");
      for (String k : r.columns()) {
        differs.put(k, g.label().get(k));
      }
      gn.put("seeds", g.runs().size());
      gn.put("reached_target", g.reachedCount());
      putNumber(
          gn,
          "final_accuracy_binomial_se",
          Differences.binomialSe(g, RunComparison.RunStats::finalAccuracy));
      putNumber(
          gn, "best_accuracy_binomial_se", Differences.binomialSe(g, RunComparison.RunStats::best));
      ObjectNode summary = gn.putObject("stats");
      stats.forEach(
          (name, f) -> {
            RunComparison.Summary s = g.summary(f);
            ObjectNode sn = summary.putObject(name);
            putNumber(sn, "mean", s.mean());
            putNumber(sn, "std", s.std());
            sn.put("n", s.n());
          });
      ArrayNode runs = gn.putArray("runs");
      for (RunComparison.RunStats rs : g.runs()) {
        ObjectNode rn = runs.addObject();
        rn.put("dir", rs.run().dir().toString());
        rn.put("seed", rs.run().seed());
        putNumber(rn, "held_out_examples", Differences.heldOut(rs.run()));
        stats.forEach((name, f) -> putNumber(rn, name, f.applyAsDouble(rs)));
      }
    }
    if (vsBaseline != null) {
      vsBaseline.json(root.putObject("baseline"));
    }
    try {
      return mapper.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, ToDoubleFunction<RunComparison.RunStats>> statFunctions(
      RunComparison r) {
    Map<String, ToDoubleFunction<RunComparison.RunStats>> m = new java.util.LinkedHashMap<>();
    m.put("start_accuracy", RunComparison.RunStats::start);
    m.put("final_accuracy", RunComparison.RunStats::finalAccuracy);
    m.put("best_accuracy", RunComparison.RunStats::best);
    m.put("main_steps", s -> s.mainSteps());
    m.put("main_wall_seconds", RunComparison.RunStats::wallSeconds);
    if (r.target() != null) {
      m.put("target_steps", RunComparison.RunStats::targetSteps);
      m.put("target_rollout_tokens", RunComparison.RunStats::targetTokens);
      m.put("target_wall_seconds", RunComparison.RunStats::targetSeconds);
    }
    for (RunComparison.MetricSpec spec : r.metrics()) {
      m.put(spec.spec(), s -> s.metrics().get(spec.spec()));
    }
    return m;
  }

  static void putNumber(ObjectNode node, String name, double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      node.putNull(name);
    } else {
      node.put(name, v);
    }
  }
}
