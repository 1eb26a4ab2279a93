package org.tokenrl.runlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tokenrl.core.Metrics;

/**
 * A finished (or stopped) run as {@code ./tokenrl compare} reads it: its resolved config flattened
 * to {@code path = value} strings, and its metrics.jsonl rows.
 *
 * @param config every leaf of config.conf, values rendered as HOCON (strings unquoted)
 * @param rows one map per metrics.jsonl line, "step" included; null (non-finite) values left out
 */
public record RunRecord(Path dir, Map<String, String> config, List<Map<String, Double>> rows) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static RunRecord load(Path dir) {
    Path configFile = dir.resolve(RunDirectory.CONFIG);
    Path metricsFile = dir.resolve(RunDirectory.METRICS);
    Map<String, String> flat = new TreeMap<>();
    try {
      Config config = ConfigFactory.parseFile(configFile.toFile()).resolve();
      for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
        ConfigValue v = e.getValue();
        flat.put(
            e.getKey(),
            v.valueType() == ConfigValueType.STRING
                ? (String) v.unwrapped()
                : v.render(ConfigRenderOptions.concise()));
      }
    } catch (ConfigException e) {
      throw new IllegalArgumentException(configFile + ": " + e.getMessage());
    }
    List<Map<String, Double>> rows = new ArrayList<>();
    try {
      int lineNo = 0;
      for (String line : Files.readAllLines(metricsFile)) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException e) {
          throw new IllegalArgumentException(metricsFile + ":" + lineNo + ": not a JSON line");
        }
        Map<String, Double> row = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> f = it.next();
          if (f.getValue().isNumber()) {
            row.put(f.getKey(), f.getValue().asDouble());
          }
        }
        // A run logged before a rename reads under today's names (Metrics.RENAMED).
        Metrics.RENAMED.forEach(
            (old, now) -> {
              Double v = row.remove(old);
              if (v != null) {
                row.putIfAbsent(now, v);
              }
            });
        if (!row.containsKey("step")) {
          throw new IllegalArgumentException(metricsFile + ":" + lineNo + ": no \"step\"");
        }
        rows.add(row);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + metricsFile, e);
    }
    return new RunRecord(dir, flat, rows);
  }

  /** Whether {@code dir} holds a run (a config.conf and a metrics.jsonl). */
  public static boolean isRun(Path dir) {
    return Files.isRegularFile(dir.resolve(RunDirectory.CONFIG))
        && Files.isRegularFile(dir.resolve(RunDirectory.METRICS));
  }

  /** Global steps of the SFT warm-up; the main phase's steps come after them. */
  public long warmupSteps() {
    String v = config.get("sft.steps");
    return v == null ? 0 : Long.parseLong(v);
  }

  public String seed() {
    return config.getOrDefault("run.seed", "?");
  }
}
