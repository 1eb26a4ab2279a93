package org.tokenrl.rewards;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code python}: a reward written in Python, in verl's per-sample form {@code
 * compute_score(data_source, solution_str, ground_truth, extra_info=None) -> float | dict} or TRL's
 * batched form {@code fn(prompts, completions, completion_ids, **kwargs) -> list[float | None]}.
 *
 * <p>Parameters (defaults): {@code path} (required; relative to the project root), {@code function}
 * ({@code compute_score}), {@code signature} ({@code auto}: from the parameter names; or {@code
 * verl}, {@code trl}), {@code python} ({@code python3}), {@code timeout_s} (60, per call), {@code
 * data_source} (null: verl's {@code data_source} argument).
 *
 * <p>The constructor checks the file in a worker that then exits (the file exists, imports, has the
 * function, the signature is known), so a bad entry fails at startup and a reward built only to be
 * checked leaves no process. The first {@link #score} starts the one worker that serves the run;
 * {@link #close} stops it. The protocol is in {@code rewards/README.md}.
 */
public final class PythonReward implements RewardFunction {
  public static final String NAME = "python";

  private final String python;
  private final Path file;
  private final String function;
  private final String signature;
  private final long timeoutSeconds;
  private final String dataSource;
  private final String what;
  private PythonWorker worker;
  private String detected;
  private long nextId;

  public PythonReward(Config entry, Path projectRoot) {
    RewardParams p =
        RewardParams.of(
            entry, NAME, "path", "function", "signature", "python", "timeout_s", "data_source");
    String path = p.requiredString("path");
    function = p.string("function", "compute_score");
    signature = p.string("signature", "auto");
    python = p.string("python", "python3");
    double timeout = p.number("timeout_s", 60);
    dataSource = p.string("data_source", null);
    p.require(
        List.of("auto", "verl", "trl").contains(signature), "signature", "be auto, verl or trl");
    p.require(timeout > 0 && timeout == Math.rint(timeout), "timeout_s", "be a whole number > 0");
    timeoutSeconds = (long) timeout;
    file = projectRoot.resolve(path).toAbsolutePath().normalize();
    what = "python reward " + path + ":" + function;
    if (!Files.isRegularFile(file)) {
      throw new RewardException(
          NAME, -1, "python.path = " + path + ": no such file (looked for " + file + ")", null);
    }
    load().close(); // checked; the run's worker starts at the first score
  }

  /** Starts a worker and loads the file into it; fails with one line naming path and function. */
  private PythonWorker load() {
    PythonWorker w = PythonWorker.start(NAME, what, python, timeoutSeconds);
    try {
      Map<String, Object> request = new LinkedHashMap<>();
      request.put("v", PythonWorker.PROTOCOL);
      request.put("type", "load");
      request.put("path", file.toString());
      request.put("function", function);
      request.put("signature", signature);
      JsonNode answer = w.call(request);
      if (!answer.path("type").asText().equals("ready")) {
        throw new RewardException(
            NAME, -1, what + ": cannot load it: " + answer.path("error").asText(), null);
      }
      detected = answer.path("signature").asText();
      return w;
    } catch (RuntimeException e) {
      w.close();
      throw e;
    }
  }

  /** {@code verl} or {@code trl}: the configured signature, or the detected one. */
  public String signature() {
    return detected;
  }

  /** The running worker's process id, or -1 before the first score and after close. */
  public long workerPid() {
    return worker != null && worker.alive() ? worker.pid() : -1;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public RewardScores score(RewardInput input) {
    if (worker == null || !worker.alive()) {
      worker = load();
    }
    int rows = input.size();
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("v", PythonWorker.PROTOCOL);
    request.put("type", "score");
    request.put("id", nextId++);
    request.put("group_size", input.groupSize());
    request.put("data_source", dataSource);
    request.put("prompts", input.promptTexts());
    request.put("completions", input.responseTexts());
    request.put("completion_ids", input.responseIds());
    request.put("ground_truth", input.references());
    request.put("truncated", input.truncated());
    request.put("columns", input.columns()); // a dataset's extra columns, one list per column
    JsonNode answer = worker.call(request);
    String type = answer.path("type").asText();
    if (type.equals("error")) {
      String error = answer.path("error").asText();
      if (answer.path("stage").asText().equals("count")) {
        throw new RewardException(NAME, -1, what + " " + error, null); // no row is to blame
      }
      // The function raised: CompositeReward scores each row alone to find the row.
      throw new FunctionRaised(error.replaceFirst("^raised ", "") + " (" + what + ")");
    }
    if (!type.equals("scores")) {
      throw new RewardException(NAME, -1, what + ": unexpected answer " + answer, null);
    }
    double[] scores = new double[rows];
    boolean[] unscored = new boolean[rows];
    String[] failures = new String[rows];
    JsonNode s = answer.path("scores");
    JsonNode e = answer.path("errors");
    for (int i = 0; i < rows; i++) {
      if (!e.path(i).isNull() && !e.path(i).isMissingNode()) {
        failures[i] = what + " " + e.path(i).asText();
      } else if (s.path(i).isNull()) {
        unscored[i] = true;
        scores[i] = Double.NaN;
      } else {
        scores[i] = s.path(i).asDouble();
      }
    }
    Map<String, double[]> metrics = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = answer.path("metrics").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      double[] values = new double[rows];
      Arrays.fill(values, Double.NaN);
      for (int i = 0; i < rows; i++) {
        JsonNode v = m.getValue().path(i);
        values[i] = v.isNumber() ? v.asDouble() : Double.NaN;
      }
      metrics.put(m.getKey(), values);
    }
    boolean anyFailure = Arrays.stream(failures).anyMatch(f -> f != null);
    boolean anyUnscored = false;
    for (boolean u : unscored) {
      anyUnscored |= u;
    }
    return new RewardScores(
        scores,
        null,
        metrics.isEmpty() ? null : metrics,
        anyFailure ? failures : null,
        anyUnscored ? unscored : null);
  }

  /** The function raised on a batch; shown as its Python message, without a Java class name. */
  private static final class FunctionRaised extends RuntimeException {
    FunctionRaised(String message) {
      super(message);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }

  /** Stops the worker; a later {@link #score} would start a new one. */
  @Override
  public void close() {
    if (worker != null) {
      worker.close();
      worker = null;
    }
  }
}
