package org.tokenrl.rollout;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigReader;

/**
 * The task registry. The task block's {@code type} names the implementation when present, else its
 * {@code name}: a group file {@code configs/task/gsm_small.conf} (whose {@code name} becomes {@code
 * gsm_small}) sets {@code type = jsonl} to reuse the JSONL task.
 */
public final class Tasks {
  private static final Map<String, BiFunction<ConfigReader, Path, Task>> REGISTRY =
      new TreeMap<>(
          Map.of(
              "arith", (config, root) -> new ArithTask(config),
              "reverse", (config, root) -> new ReverseTask(config),
              "sort", (config, root) -> new SortTask(config),
              "jsonl", JsonlTask::new,
              "dataset", DatasetTask::new));

  private Tasks() {}

  /**
   * Builds the task described by {@code taskBlock} (the config's {@code task} block). With {@code
   * quality_tags = true} the task comes wrapped in a {@link QualityTaggedTask} (tags from {@code
   * good_tag}/{@code bad_tag}, wrong SFT answers seeded by {@code seed}).
   *
   * @param projectRoot what relative data paths resolve against
   * @throws ConfigException for an unknown task, a bad setting or a malformed data file
   */
  public static Task create(Config taskBlock, Path projectRoot) {
    ConfigReader config = new ConfigReader(taskBlock, "task");
    String key = config.has("type") ? "type" : "name";
    String type = config.string(key);
    BiFunction<ConfigReader, Path, Task> factory = REGISTRY.get(type);
    if (factory == null) {
      throw new ConfigException(
          "config error: unknown task '"
              + type
              + "' in '"
              + config.fullKey(key)
              + "' (known tasks: "
              + String.join(", ", names())
              + "; a custom task file can set type = jsonl)");
    }
    Task task = factory.apply(config, projectRoot);
    if (!config.bool("quality_tags", false)) {
      return task;
    }
    return new QualityTaggedTask(task, QualityTags.read(config), config.integer("seed"));
  }

  /** Registered task names, sorted. */
  public static List<String> names() {
    return List.copyOf(REGISTRY.keySet());
  }
}
