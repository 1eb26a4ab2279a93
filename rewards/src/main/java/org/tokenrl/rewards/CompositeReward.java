package org.tokenrl.rewards;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.ProjectRoot;

/**
 * The weighted sum of the configured reward functions: {@code total[i] = Σ_c weight_c *
 * score_c[i]}. Built from config with {@link #fromConfig}; the trainer calls {@link #score} once
 * per batch.
 *
 * <p>A component fails on a sample when it throws, returns NaN/Inf, or returns the wrong number of
 * scores or per-token rewards. A whole-batch failure is localised by scoring each row alone (as a
 * batch of one); if no row fails alone, the failure belongs to the batch. Then {@code
 * reward.on_error = stop} throws a {@link RewardException} naming the component and the sample (or
 * "batch"); {@code zero} scores the failing samples 0 for that component (every sample, for a batch
 * failure), adds them to {@code reward/errors} and carries on. When localising, the rows that
 * succeed keep the score they got alone. A failure's NaN never reaches the totals.
 *
 * <p>A function may also leave rows unscored ({@link RewardScores#unscored()}, TRL's {@code None}):
 * their component score is NaN and is left out of the total and the means; a row no component
 * scores has a NaN total, which the algorithms treat as unscorable. Extra per-row metrics ({@link
 * RewardScores#metrics()}) are logged as {@code reward/<component>/<key>}. {@link #close} closes
 * every component (the {@code python} reward's worker) once the run is done.
 *
 * <p>Length: parsing the entries, scoring with {@code reward.on_error}, the per-token sum and the
 * metrics all act on the same components; kept together so the error rules read in one place.
 */
public final class CompositeReward implements AutoCloseable {
  /** The key of a {@code rewards} entry holding its weight (default 1.0). */
  public static final String WEIGHT = "weight";

  private static final int SHOWN_CHARS = 60;
  private static final String HINT =
      "Fix the reward function, or set reward.on_error = zero to score failing samples 0 and"
          + " count them in reward/errors";

  /** What a failing component does to the run: {@code reward.on_error}. */
  public enum OnError {
    STOP,
    ZERO;

    public static OnError parse(String value) {
      for (OnError e : values()) {
        if (e.name().toLowerCase(Locale.ROOT).equals(value)) {
          return e;
        }
      }
      throw new IllegalArgumentException(
          "reward.on_error must be stop or zero, got '" + value + "'");
    }
  }

  /**
   * One term of the sum.
   *
   * @param name the key in metrics ({@code reward/<name>_mean}) and in {@link
   *     RewardResult#components()}
   */
  public record Component(String name, double weight, RewardFunction function) {
    public Component {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("a reward component needs a name");
      }
      if (!Double.isFinite(weight)) {
        throw new IllegalArgumentException(
            "reward '" + name + "' weight must be finite: " + weight);
      }
    }
  }

  private final List<Component> components;
  private final OnError onError;

  public CompositeReward(List<Component> components, OnError onError) {
    if (components.isEmpty()) {
      throw new IllegalArgumentException(
          "no reward functions: add at least one entry to rewards, e.g. rewards = [{name = task}]");
    }
    Set<String> names = new HashSet<>();
    for (Component c : components) {
      if (!names.add(c.name())) {
        throw new IllegalArgumentException("two reward components are named '" + c.name() + "'");
      }
    }
    this.components = List.copyOf(components);
    this.onError = onError;
  }

  /**
   * Reads the {@code rewards} list and {@code reward.on_error} (default stop). A component is named
   * by its configured {@code name}, or for a class name by {@link RewardFunction#name()}; a name
   * used twice gets the entry's index appended ({@code regex_0}, {@code regex_2}).
   */
  public static CompositeReward fromConfig(Config root) {
    return fromConfig(root, ProjectRoot.get());
  }

  /**
   * The same, with relative file paths in entries ({@code python}'s {@code path}) resolved here.
   */
  public static CompositeReward fromConfig(Config root, Path projectRoot) {
    List<? extends Config> entries = root.getConfigList("rewards");
    List<String> baseNames = new ArrayList<>();
    List<RewardFunction> functions = new ArrayList<>();
    List<Double> weights = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      Config entry = entries.get(i);
      try {
        RewardFunction function = RewardRegistry.create(entry, projectRoot);
        String configured = entry.getString(RewardRegistry.NAME);
        baseNames.add(configured.contains(".") ? function.name() : configured);
        functions.add(function);
        weights.add(entry.hasPath(WEIGHT) ? entry.getDouble(WEIGHT) : 1.0);
      } catch (RuntimeException e) {
        functions.forEach(RewardFunction::close); // the entries built so far
        throw new IllegalArgumentException("rewards[" + i + "]: " + e.getMessage(), e);
      }
    }
    Map<String, Integer> uses = new HashMap<>();
    baseNames.forEach(n -> uses.merge(n, 1, Integer::sum));
    List<Component> components = new ArrayList<>();
    for (int i = 0; i < functions.size(); i++) {
      String base = baseNames.get(i);
      String name = uses.get(base) > 1 ? base + "_" + i : base;
      components.add(new Component(name, weights.get(i), functions.get(i)));
    }
    String onError = root.hasPath("reward.on_error") ? root.getString("reward.on_error") : "stop";
    return new CompositeReward(components, OnError.parse(onError));
  }

  public List<Component> components() {
    return components;
  }

  public OnError onError() {
    return onError;
  }

  /** Closes every component (stops Python reward workers); the reward is not used after. */
  @Override
  public void close() {
    for (Component c : components) {
      c.function().close();
    }
  }

  /** Scores every component on {@code input} and sums them; see the class comment for errors. */
  public RewardResult score(RewardInput input) {
    int rows = input.size();
    double[] total = new double[rows];
    Map<String, double[]> scores = new LinkedHashMap<>();
    List<double[][]> tokenScores = new ArrayList<>();
    int errors = 0;
    boolean anyTokens = false;
    boolean[] scored = new boolean[rows];
    Map<String, double[]> extraRows = new LinkedHashMap<>(); // reward/<component>/<key> per row
    for (Component c : components) {
      Attempt a = evaluate(c, input);
      errors += a.failures();
      scores.put(c.name(), a.scores());
      tokenScores.add(a.tokens());
      anyTokens |= a.tokens() != null;
      for (int i = 0; i < rows; i++) {
        if (!Double.isNaN(a.scores()[i])) { // NaN here is an unscored row, never a failure
          total[i] += c.weight() * a.scores()[i];
          scored[i] = true;
        }
      }
      if (a.metrics() != null) {
        a.metrics().forEach((k, v) -> extraRows.put(Metrics.rewardValue(c.name(), k), v));
      }
    }
    for (int i = 0; i < rows; i++) {
      total[i] = scored[i] ? total[i] : Double.NaN; // TRL: a row nothing scores has no reward
    }
    // Finite scores can still sum to a non-finite total (weights × scores overflow): the row is a
    // failure of the weighted sum, handled by reward.on_error like a component's failure.
    List<Integer> overflowed = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      if (scored[i] && !Double.isFinite(total[i])) {
        overflowed.add(i);
      }
    }
    if (!overflowed.isEmpty()) {
      int first = overflowed.get(0);
      if (onError == OnError.STOP) {
        throw overflow(input, scores, first, total[first], overflowed.size());
      }
      for (int i : overflowed) {
        total[i] = 0.0;
        for (double[] componentScores : scores.values()) {
          componentScores[i] = 0.0; // so the per-token rewards of the row sum to its total, 0
        }
        for (double[][] t : tokenScores) {
          if (t != null) {
            t[i] = null;
          }
        }
      }
      errors += overflowed.size();
    }
    double[][] tokens = anyTokens ? sumTokens(input, tokenScores, scores) : null;
    Map<String, Double> metrics = metrics(scores, errors, extraRows);
    return new RewardResult(total, scores, tokens, errors, metrics, extraRows);
  }

  /**
   * Per-token weighted sum: a component's own per-token rewards where it has them, otherwise its
   * weighted score on the response's last token (the usual outcome-reward placement), so each row
   * sums to the total.
   */
  private double[][] sumTokens(
      RewardInput input, List<double[][]> tokenScores, Map<String, double[]> scores) {
    int rows = input.size();
    double[][] out = new double[rows][];
    for (int i = 0; i < rows; i++) {
      out[i] = new double[input.responseIds()[i].length];
    }
    int k = 0;
    for (Component c : components) {
      double[][] tokens = tokenScores.get(k++);
      double[] componentScores = scores.get(c.name());
      for (int i = 0; i < rows; i++) {
        int length = out[i].length;
        if (Double.isNaN(componentScores[i])) {
          continue; // unscored: adds nothing
        } else if (tokens != null && tokens[i] != null) {
          for (int t = 0; t < length; t++) {
            out[i][t] += c.weight() * tokens[i][t];
          }
        } else if (length > 0) {
          out[i][length - 1] += c.weight() * componentScores[i];
        }
      }
    }
    return out;
  }

  /**
   * Runs one component with error handling: the returned scores are finite (0 at failed samples
   * under {@code zero}); token rows are null where the component gave none or failed.
   */
  private Attempt evaluate(Component c, RewardInput input) {
    int rows = input.size();
    Attempt a = run(c.function(), input);
    // A RewardException with no sample is the function's own verdict on the whole batch (a Python
    // worker that timed out or died): scoring each row alone would only repeat it.
    boolean whole = a.cause() instanceof RewardException e && e.sample() < 0;
    if (a.batchProblem() != null && rows > 1 && !whole) {
      a = localise(c, input, a);
    }
    if (a.batchProblem() != null) {
      // A failure of a one-row batch is that row's failure.
      int sample = rows == 1 ? 0 : -1;
      if (onError == OnError.STOP) {
        throw failure(c, input, sample, a.batchProblem(), a.cause(), 1);
      }
      return new Attempt(new double[rows], null, new String[rows], null, null, rows, null);
    }
    int failed = 0;
    int first = -1;
    for (int i = 0; i < rows; i++) {
      if (a.rowProblems()[i] != null) {
        failed++;
        first = first < 0 ? i : first;
      }
    }
    if (failed == 0) {
      return a;
    }
    if (onError == OnError.STOP) {
      throw failure(c, input, first, a.rowProblems()[first], a.cause(), failed);
    }
    for (int i = 0; i < rows; i++) {
      if (a.rowProblems()[i] != null) {
        a.scores()[i] = 0.0;
        if (a.tokens() != null) {
          a.tokens()[i] = null;
        }
      }
    }
    return new Attempt(
        a.scores(), a.tokens(), a.rowProblems(), null, a.cause(), failed, a.metrics());
  }

  /** Scores each row alone to find which samples make the batch fail. */
  private Attempt localise(Component c, RewardInput input, Attempt batch) {
    int rows = input.size();
    double[] scores = new double[rows];
    double[][] tokens = new double[rows][];
    String[] problems = new String[rows];
    Throwable cause = null;
    boolean anyFailed = false;
    boolean anyTokens = false;
    Map<String, double[]> metrics = new LinkedHashMap<>();
    for (int i = 0; i < rows; i++) {
      Attempt alone = run(c.function(), input.row(i));
      String problem = alone.batchProblem() != null ? alone.batchProblem() : alone.rowProblems()[0];
      if (problem != null) {
        // Keep what the whole batch did too when it differs, e.g. a wrong count of scores.
        String onBatch = batch.batchProblem();
        problems[i] =
            problem.equals(onBatch)
                ? problem
                : problem + " when scored alone (on the whole batch it " + onBatch + ")";
        cause = cause == null ? alone.cause() : cause;
        anyFailed = true;
      } else {
        scores[i] = alone.scores()[0];
        tokens[i] = alone.tokens() == null ? null : alone.tokens()[0];
        anyTokens |= tokens[i] != null;
        if (alone.metrics() != null) {
          int row = i;
          alone.metrics().forEach((k, v) -> metricRow(metrics, k, rows)[row] = v[0]);
        }
      }
    }
    if (!anyFailed) {
      return batch;
    }
    return new Attempt(
        scores,
        anyTokens ? tokens : null,
        problems,
        null,
        cause,
        0,
        metrics.isEmpty() ? null : metrics);
  }

  /** Calls the function once and checks what it returned, without deciding what to do about it. */
  private static Attempt run(RewardFunction function, RewardInput input) {
    int rows = input.size();
    RewardScores result;
    try {
      result = function.score(input);
    } catch (RewardException e) {
      return Attempt.batchFailure(e.getMessage(), e); // already names what failed
    } catch (Exception e) {
      return Attempt.batchFailure("threw " + e, e);
    }
    if (result == null || result.scores() == null) {
      return Attempt.batchFailure("returned no scores (null)", null);
    }
    double[] scores = result.scores().clone();
    if (scores.length != rows) {
      return Attempt.batchFailure(
          "returned " + scores.length + " scores for " + samples(rows), null);
    }
    double[][] tokens = result.tokenRewards() == null ? null : result.tokenRewards().clone();
    if (tokens != null && tokens.length != rows) {
      return Attempt.batchFailure(
          "returned per-token rewards for " + tokens.length + " rows, expected " + rows, null);
    }
    String[] failures = result.failures();
    boolean[] unscored = result.unscored();
    Map<String, double[]> metrics = result.metrics();
    if ((failures != null && failures.length != rows)
        || (unscored != null && unscored.length != rows)
        || (metrics != null && metrics.values().stream().anyMatch(v -> v.length != rows))) {
      return Attempt.batchFailure("returned failures, unscored or metrics not one per row", null);
    }
    String[] problems = new String[rows];
    for (int i = 0; i < rows; i++) {
      if (failures != null && failures[i] != null) {
        problems[i] = failures[i];
      } else if (unscored != null && unscored[i]) {
        scores[i] = Double.NaN;
      } else if (!Double.isFinite(scores[i])) {
        problems[i] = "returned " + scores[i];
      } else if (tokens != null) {
        problems[i] = checkTokens(tokens[i], scores[i], input.responseIds()[i].length);
      }
    }
    return new Attempt(scores, tokens, problems, null, null, 0, metrics);
  }

  private static double[] metricRow(Map<String, double[]> metrics, String key, int rows) {
    return metrics.computeIfAbsent(
        key,
        k -> {
          double[] v = new double[rows];
          java.util.Arrays.fill(v, Double.NaN);
          return v;
        });
  }

  private static String checkTokens(double[] tokens, double score, int length) {
    if (tokens == null) {
      return "returned no per-token rewards for this row (null)";
    }
    if (tokens.length != length) {
      return "returned "
          + tokens.length
          + " per-token rewards for a response of "
          + length
          + " tokens";
    }
    double sum = 0;
    for (double t : tokens) {
      if (!Double.isFinite(t)) {
        return "returned a per-token reward of " + t;
      }
      sum += t;
    }
    // Per-token rewards spread the score; they must add up to it (summation order may differ).
    if (Math.abs(sum - score) > 1e-6 * Math.max(1.0, Math.abs(score))) {
      return "returned per-token rewards summing to " + sum + " for a score of " + score;
    }
    return null;
  }

  private static RewardException failure(
      Component c, RewardInput input, int sample, String problem, Throwable cause, int failed) {
    String where;
    if (sample < 0) {
      boolean whole = cause instanceof RewardException e && e.sample() < 0;
      where = whole ? "the batch" : "the batch (every sample succeeds when scored alone)";
    } else {
      where =
          "sample " + sample + " (response \"" + shorten(input.responseTexts().get(sample)) + "\")";
      if (failed > 1) {
        where += " and " + (failed - 1) + " more of " + samples(input.size());
      }
    }
    return new RewardException(
        c.name(),
        sample,
        "reward '" + c.name() + "' failed on " + where + ": " + problem + ". " + HINT,
        cause);
  }

  /** The weighted sum of {@code sample} is not finite: which weights and scores made it. */
  private RewardException overflow(
      RewardInput input, Map<String, double[]> scores, int sample, double total, int failed) {
    List<String> terms = new ArrayList<>();
    for (Component c : components) {
      terms.add(c.name() + " " + c.weight() + " x " + scores.get(c.name())[sample]);
    }
    String name = "total";
    return new RewardException(
        name,
        sample,
        "the reward total of sample "
            + sample
            + " (response \""
            + shorten(input.responseTexts().get(sample))
            + "\")"
            + (failed > 1 ? " and " + (failed - 1) + " more of " + samples(input.size()) : "")
            + " is "
            + total
            + ": the weighted sum "
            + String.join(" + ", terms)
            + " overflows; lower the rewards' weights. "
            + HINT,
        null);
  }

  private static String samples(int count) {
    return count + (count == 1 ? " sample" : " samples");
  }

  private static String shorten(String text) {
    String flat = text.replace("\n", "\\n");
    return flat.length() <= SHOWN_CHARS ? flat : flat.substring(0, SHOWN_CHARS) + "...";
  }

  /**
   * The reward metrics of a scored batch: each component's unweighted mean over the rows and the
   * error count. The one place they are computed: the Ray pool passes the components its actors
   * scored. (The total's mean is {@code train/reward_mean}, logged by the trainer.)
   */
  public static Map<String, Double> metrics(Map<String, double[]> components, int errors) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    components.forEach((name, scores) -> metrics.put(Metrics.rewardMean(name), mean(scores)));
    metrics.put(Metrics.REWARD_ERRORS, (double) errors);
    return metrics;
  }

  /**
   * The same plus each extra {@code reward/<component>/<key>} metric: the mean of its per-row
   * values over the rows that have one (see {@link RewardResult#extraRows()}).
   */
  public static Map<String, Double> metrics(
      Map<String, double[]> components, int errors, Map<String, double[]> extraRows) {
    Map<String, Double> metrics = metrics(components, errors);
    extraRows.forEach((key, values) -> metrics.put(key, mean(values)));
    return metrics;
  }

  /** Mean over the non-NaN values (unscored rows); 0 for an empty batch, NaN if all are NaN. */
  private static double mean(double[] values) {
    if (values.length == 0) {
      return 0.0;
    }
    double sum = 0;
    int n = 0;
    for (double v : values) {
      if (!Double.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /**
   * One call's outcome: a batch-level problem, or scores with a problem (or null) per row. {@code
   * failures} counts samples already scored 0.
   */
  private record Attempt(
      double[] scores,
      double[][] tokens,
      String[] rowProblems,
      String batchProblem,
      Throwable cause,
      int failures,
      Map<String, double[]> metrics) {
    static Attempt batchFailure(String problem, Throwable cause) {
      return new Attempt(null, null, null, problem, cause, 0, null);
    }
  }
}
