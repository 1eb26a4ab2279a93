package org.tokenrl.tools.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tokenrl.core.Metrics;
import org.tokenrl.runlog.RunRecord;

/**
 * Runs grouped by configuration and summarised over seeds, for {@code ./tokenrl compare}.
 *
 * <p>Runs whose resolved configs differ only in {@link #PER_RUN_KEYS} (seed, name, where they start
 * from and where they write) and in logging-only keys ({@link #LOGGING_PREFIXES}) form a group; or,
 * with {@code --by} keys, runs with equal values of those keys. Every other key the runs differ in
 * is a column ({@link #columns}), so a preset's changes are never hidden behind its name. Each run
 * gives one value per statistic (held-out accuracy at the main phase's start, at the end and at
 * best; steps, rollout tokens and wall seconds until a target; the asked-for metrics) and each
 * group the mean and sample standard deviation over its runs. "Main phase" is everything after the
 * SFT warm-up ({@code sft.steps}): its step 0 is the warm-up's last step.
 */
public final class RunComparison {
  static final Set<String> PER_RUN_KEYS =
      Set.of("run.seed", "run.name", "run.init_from", "trainer.run_dir");

  /** Keys that change what a run logs, not what it learns; ignored like the per-run keys. */
  static final List<String> LOGGING_PREFIXES =
      List.of(
          "tensorboard.",
          "trainer.progress_every",
          "trainer.log_every",
          "trainer.save_rollouts",
          "trainer.rollouts_max_mb");

  public static final String ACCURACY = Metrics.EVAL_ACCURACY;
  static final String TOKENS = Metrics.PERF_ROLLOUT_TOKENS;
  static final String SECONDS = Metrics.PERF_TIME_STEP;

  /** {@code --target KEY>=VALUE} (or {@code KEY<=VALUE}, for metrics that should fall). */
  public record Target(String metric, boolean atLeast, double value) {
    public static Target parse(String spec) {
      int le = spec.indexOf("<=");
      int ge = spec.indexOf(">=");
      int eq = spec.indexOf('=');
      int at = le >= 0 ? le : ge >= 0 ? ge : eq;
      int skip = le >= 0 || ge >= 0 ? 2 : 1;
      if (at <= 0 || at + skip >= spec.length()) {
        throw new IllegalArgumentException(
            "--target " + spec + ": expected KEY=VALUE, e.g. eval/accuracy=0.8 (or KEY<=VALUE)");
      }
      try {
        return new Target(
            spec.substring(0, at), le < 0, Double.parseDouble(spec.substring(at + skip)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--target " + spec + ": the value is not a number");
      }
    }

    boolean reached(double v) {
      return atLeast ? v >= value : v <= value;
    }

    @Override
    public String toString() {
      return metric + (atLeast ? " >= " : " <= ") + value;
    }
  }

  /**
   * {@code --metric KEY[:AGG]}: AGG is last (default), first, max, min, lastN or firstN (the mean
   * of the last/first N logged values).
   */
  public record MetricSpec(String spec, String key, String agg, int n) {
    public static MetricSpec parse(String spec) {
      int colon = spec.lastIndexOf(':');
      String key = colon < 0 ? spec : spec.substring(0, colon);
      String agg = colon < 0 ? "last" : spec.substring(colon + 1);
      int n = 1;
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(last|first)(\\d+)").matcher(agg);
      if (m.matches()) {
        n = Integer.parseInt(m.group(2));
        agg = m.group(1);
        if (n < 1) {
          throw new IllegalArgumentException("--metric " + spec + ": N must be >= 1");
        }
      } else if (!Set.of("last", "first", "max", "min").contains(agg)) {
        throw new IllegalArgumentException(
            "--metric " + spec + ": aggregate must be last, first, max, min, lastN or firstN");
      }
      if (key.isEmpty()) {
        throw new IllegalArgumentException("--metric " + spec + ": missing the metric name");
      }
      return new MetricSpec(spec, key, agg, n);
    }

    double of(RunRecord run) {
      List<Double> values = new ArrayList<>();
      for (Map<String, Double> row : run.rows()) {
        Double v = row.get(key);
        if (v != null) {
          values.add(v);
        }
      }
      if (values.isEmpty()) {
        return Double.NaN;
      }
      return switch (agg) {
        case "first" -> mean(values.subList(0, Math.min(n, values.size())));
        case "last" -> mean(values.subList(Math.max(0, values.size() - n), values.size()));
        case "max" -> values.stream().mapToDouble(Double::doubleValue).max().getAsDouble();
        default -> values.stream().mapToDouble(Double::doubleValue).min().getAsDouble();
      };
    }
  }

  /** One run's numbers; NaN where it has none (no evaluation, target not reached). */
  public record RunStats(
      RunRecord run,
      double start,
      double finalAccuracy,
      double best,
      long mainSteps,
      double wallSeconds,
      double targetSteps,
      double targetTokens,
      double targetSeconds,
      Map<String, Double> metrics) {

    boolean reached() {
      return !Double.isNaN(targetSteps);
    }
  }

  /** Mean and sample standard deviation of the non-NaN values (std NaN for fewer than 2). */
  public record Summary(double mean, double std, int n, List<Double> values) {
    static Summary of(List<Double> all) {
      List<Double> v = all.stream().filter(x -> !Double.isNaN(x)).toList();
      double mean = v.isEmpty() ? Double.NaN : RunComparison.mean(v);
      double std = Double.NaN;
      if (v.size() > 1) {
        double ss = 0;
        for (double x : v) {
          ss += (x - mean) * (x - mean);
        }
        std = Math.sqrt(ss / (v.size() - 1));
      }
      return new Summary(mean, std, v.size(), all);
    }
  }

  /**
   * Runs that share a configuration.
   *
   * @param label the values of the report's columns (keys that differ between groups)
   * @param config the group's whole config without the per-run keys
   */
  public record Group(Map<String, String> label, Map<String, String> config, List<RunStats> runs) {
    public Summary summary(java.util.function.ToDoubleFunction<RunStats> stat) {
      return Summary.of(runs.stream().map(r -> stat.applyAsDouble(r)).toList());
    }

    public long reachedCount() {
      return runs.stream().filter(RunStats::reached).count();
    }
  }

  private final List<Group> groups;
  private final List<String> columns;
  private final List<String> legendColumns;
  private final Set<String> differing;
  private final List<String> by;
  private final Target target;
  private final List<MetricSpec> metrics;

  public RunComparison(List<RunRecord> runs, Target target, List<MetricSpec> metrics) {
    this(runs, target, metrics, List.of());
  }

  /**
   * Groups {@code runs}: with {@code by} empty, runs whose configs are equal but for the per-run
   * and logging keys; otherwise runs with equal values of the {@code by} keys (whatever else
   * differs: {@link #unasked} and {@link #mixed} name it).
   *
   * @throws IllegalArgumentException for a {@code by} key no run's config has
   */
  public RunComparison(
      List<RunRecord> runs, Target target, List<MetricSpec> metrics, List<String> by) {
    this.target = target;
    this.metrics = metrics;
    this.by = List.copyOf(by);
    Map<RunRecord, Map<String, String>> configs = new LinkedHashMap<>();
    for (RunRecord run : runs) {
      configs.put(run, comparable(run));
    }
    for (String key : by) {
      if (configs.values().stream().noneMatch(c -> c.containsKey(key))) {
        throw new IllegalArgumentException(
            "--by " + key + ": no run's config has this key (" + closest(configs, key) + ")");
      }
    }
    Map<Map<String, String>, List<RunRecord>> grouped = new LinkedHashMap<>();
    for (Map.Entry<RunRecord, Map<String, String>> e : configs.entrySet()) {
      Map<String, String> key = e.getValue();
      if (!by.isEmpty()) {
        key = new TreeMap<>();
        for (String k : by) {
          key.put(k, e.getValue().getOrDefault(k, null) + "");
        }
      }
      grouped.computeIfAbsent(key, k -> new ArrayList<>()).add(e.getKey());
    }
    List<Map<String, String>> all = new ArrayList<>(configs.values());
    this.differing = differingKeys(all);
    List<String> ordered = ordered(all, differing);
    if (by.isEmpty()) {
      this.columns = ordered;
      this.legendColumns = labelColumns(new ArrayList<>(new LinkedHashSet<>(all)), differing);
    } else {
      List<String> cols = new ArrayList<>(by);
      ordered.stream().filter(k -> !by.contains(k)).forEach(cols::add);
      this.columns = cols;
      this.legendColumns = this.by;
    }
    List<Group> out = new ArrayList<>();
    for (List<RunRecord> members : grouped.values()) {
      List<Map<String, String>> mine = members.stream().map(configs::get).toList();
      Map<String, String> label = new LinkedHashMap<>();
      for (String c : columns) {
        label.put(c, values(mine, c));
      }
      Map<String, String> config = new TreeMap<>(mine.get(0));
      List<RunStats> stats = members.stream().map(this::stats).toList();
      out.add(new Group(label, config, stats));
    }
    this.groups = out;
  }

  /** A run's config without the per-run and logging-only keys: what makes it another setting. */
  private static Map<String, String> comparable(RunRecord run) {
    Map<String, String> c = new TreeMap<>(run.config());
    c.keySet().removeAll(PER_RUN_KEYS);
    c.keySet().removeIf(k -> LOGGING_PREFIXES.stream().anyMatch(k::startsWith));
    return c;
  }

  /** The distinct values of {@code key} in {@code configs}, " / "-joined; "—" for absent. */
  private static String values(List<Map<String, String>> configs, String key) {
    Set<String> v = new LinkedHashSet<>();
    configs.forEach(c -> v.add(c.getOrDefault(key, "—")));
    return String.join(" / ", v);
  }

  private static String closest(Map<RunRecord, Map<String, String>> configs, String key) {
    Set<String> keys = new TreeSet<>();
    configs.values().forEach(c -> keys.addAll(c.keySet()));
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : keys) {
      int d = editDistance(k, key);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return best == null ? "the runs have no config" : "did you mean " + best + "?";
  }

  /** Levenshtein distance, for the "did you mean" of a mistyped {@code --by} key. */
  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  public List<Group> groups() {
    return groups;
  }

  /**
   * The table's label columns: every config key that differs between the runs (names first), so no
   * difference is hidden; with {@code --by}, those keys first.
   */
  public List<String> columns() {
    return columns;
  }

  /**
   * The few columns that name a group in a legend: the {@code --by} keys, or as few differing keys
   * as tell the groups apart (see {@link #labelColumns}).
   */
  public List<String> legendColumns() {
    return legendColumns;
  }

  /** Every config key whose value is not the same in all runs (absent counts as a value). */
  public Set<String> differing() {
    return differing;
  }

  /** The {@code --by} keys; empty when runs are grouped by their whole config. */
  public List<String> by() {
    return by;
  }

  /**
   * With {@code --by}: the other keys the runs differ in, each with its values (e.g. a preset's
   * {@code algorithm.clip_eps_high} that came with {@code algorithm=tempo}). Empty without.
   */
  public Map<String, String> unasked() {
    Map<String, String> out = new LinkedHashMap<>();
    if (by.isEmpty()) {
      return out;
    }
    for (String key : columns) {
      if (!by.contains(key)) {
        Set<String> v = new TreeSet<>();
        for (Group g : groups) {
          v.addAll(List.of(g.label().get(key).split(" / ")));
        }
        out.put(key, String.join(", ", v));
      }
    }
    return out;
  }

  /**
   * With {@code --by}: the keys whose value varies inside some group, so that group's mean ± std is
   * over more than seeds.
   */
  public List<String> mixed() {
    List<String> out = new ArrayList<>();
    for (String key : columns) {
      if (groups.stream().anyMatch(g -> g.label().get(key).contains(" / "))) {
        out.add(key);
      }
    }
    return out;
  }

  public Target target() {
    return target;
  }

  public List<MetricSpec> metrics() {
    return metrics;
  }

  private RunStats stats(RunRecord run) {
    long warmup = run.warmupSteps();
    double start = Double.NaN;
    double last = Double.NaN;
    double best = Double.NaN;
    long mainSteps = 0;
    double wall = 0;
    double tokens = 0;
    double tSteps = Double.NaN;
    double tTokens = Double.NaN;
    double tSeconds = Double.NaN;
    for (Map<String, Double> row : run.rows()) {
      long step = row.get("step").longValue();
      boolean main = step > warmup;
      if (main) {
        mainSteps++;
        wall += row.getOrDefault(SECONDS, 0.0);
        tokens += row.getOrDefault(TOKENS, 0.0);
      }
      Double acc = row.get(ACCURACY);
      if (acc != null) {
        if (step <= warmup) {
          start = acc;
        }
        last = acc;
        best = Double.isNaN(best) ? acc : Math.max(best, acc);
      }
      if (target != null && Double.isNaN(tSteps) && step >= warmup) {
        Double v = row.get(target.metric());
        if (v != null && target.reached(v)) {
          tSteps = step - warmup;
          tTokens = tokens;
          tSeconds = wall;
        }
      }
    }
    Map<String, Double> m = new LinkedHashMap<>();
    for (MetricSpec spec : metrics) {
      m.put(spec.spec(), spec.of(run));
    }
    return new RunStats(run, start, last, best, mainSteps, wall, tSteps, tTokens, tSeconds, m);
  }

  private static Set<String> differingKeys(List<Map<String, String>> configs) {
    Set<String> all = new TreeSet<>();
    configs.forEach(c -> all.addAll(c.keySet()));
    Set<String> out = new LinkedHashSet<>();
    for (String key : all) {
      Set<String> values = new java.util.HashSet<>();
      configs.forEach(c -> values.add(c.getOrDefault(key, null) + ""));
      if (values.size() > 1) {
        out.add(key);
      }
    }
    return out;
  }

  /** The differing keys in column order: names (".name", ".base") first, then alphabetical. */
  private static List<String> ordered(List<Map<String, String>> configs, Set<String> keys) {
    List<String> out = new ArrayList<>(keys);
    out.sort(java.util.Comparator.comparing((String k) -> !isName(k)).thenComparing(k -> k));
    return out;
  }

  /**
   * The columns that name the groups: the differing names (keys ending in ".name" or ".base"), then
   * other differing keys, most distinct values first, each kept only if it splits groups the
   * columns before it leave together. So GRPO vs TEMPO shows algorithm.name, not also every default
   * that differs between the two algorithm files.
   */
  private static List<String> labelColumns(List<Map<String, String>> configs, Set<String> keys) {
    List<String> ordered = new ArrayList<>(keys);
    ordered.sort(
        java.util.Comparator.comparing((String k) -> !isName(k))
            .thenComparing(k -> -distinct(configs, k))
            .thenComparing(k -> k));
    List<String> chosen = new ArrayList<>();
    for (String key : ordered) {
      if (isName(key)) {
        chosen.add(key); // names always show: "d3s" alone would hide its base algorithm
      }
    }
    int parts = partitions(configs, chosen);
    for (String key : ordered) {
      if (parts == configs.size()) {
        break;
      }
      List<String> trial = new ArrayList<>(chosen);
      trial.add(key);
      int p = partitions(configs, trial);
      if (p > parts) {
        chosen.add(key);
        parts = p;
      }
    }
    return chosen;
  }

  private static boolean isName(String key) {
    return key.endsWith(".name") || key.endsWith(".base");
  }

  private static int distinct(List<Map<String, String>> configs, String key) {
    Set<String> values = new java.util.HashSet<>();
    configs.forEach(c -> values.add(c.getOrDefault(key, null) + ""));
    return values.size();
  }

  private static int partitions(List<Map<String, String>> configs, List<String> keys) {
    Set<List<String>> parts = new java.util.HashSet<>();
    for (Map<String, String> c : configs) {
      parts.add(keys.stream().map(k -> c.getOrDefault(k, null) + "").toList());
    }
    return parts.size();
  }

  static double mean(List<Double> values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s / values.size();
  }
}
