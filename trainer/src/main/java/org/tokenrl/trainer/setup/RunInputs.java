package org.tokenrl.trainer.setup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.DurableFiles;

/**
 * What a run was started from, recorded in {@code <run dir>/inputs.json} so that {@code --resume}
 * notices when it changed: every value of the resolved config, and the SHA-256 of every data file,
 * python reward and plugin jar or class folder the config names. A resumed run whose inputs differ
 * would silently continue a different experiment (a learning rate edited from 0.001 to 0.9, a
 * replaced data file), so the difference is refused in one line naming each change, unless the user
 * accepts it with {@code --allow-changed KEY} (or {@code all}).
 *
 * <p>Keys that may change on resume without asking ({@link #RESUMABLE}): the run's length ({@code
 * trainer.steps}, to extend a run), how often it evaluates, logs and checkpoints, and how the same
 * computation is spread over memory and processes (micro-batch budget, rollout threads, Ray
 * settings) — none changes what the steps already taken meant.
 *
 * <p>Which files are inputs: the string values, under {@code task}, {@code preference} and {@code
 * rewards}, of keys whose name holds {@code path} or {@code file}, and the {@code plugins} entries,
 * when they name an existing file or folder ({@code model.path} is checked by its own digest in
 * LoRA checkpoints, and a full fine-tune resumes from its checkpoint's weights).
 */
public record RunInputs(Map<String, String> config, Map<String, FileDigest> files) {
  /** The file in the run directory. */
  public static final String FILE = "inputs.json";

  /** One input file or folder: where it is and the SHA-256 of its bytes (a folder: of its tree). */
  public record FileDigest(String path, String sha256) {}

  /** Keys (or key prefixes, ending in '.') that may change between a run's start and its resume. */
  static final Set<String> RESUMABLE =
      Set.of(
          "trainer.steps",
          "trainer.eval_every",
          "trainer.eval_size",
          "trainer.eval_before_train",
          "trainer.checkpoint_every",
          "trainer.keep_checkpoints",
          "trainer.log_every",
          "trainer.progress_every", // log_every's name before 2026-12-07
          "trainer.save_rollouts",
          "trainer.rollouts_max_mb",
          "trainer.micro_batch_tokens",
          "trainer.pass_layout",
          "trainer.run_dir",
          "run.name",
          "rollout.workers",
          "distributed.backend",
          "distributed.rewards_on",
          "distributed.ray.",
          "tensorboard.");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The inputs of {@code c}: its values and the digests of the files it names. */
  public static RunInputs of(Config c, Path projectRoot) {
    Map<String, String> values = new TreeMap<>();
    Map<String, FileDigest> files = new TreeMap<>();
    flatten("", c.root(), values);
    for (Map.Entry<String, String> e : values.entrySet()) {
      String key = e.getKey();
      if (isInputFile(key) && !e.getValue().isBlank()) {
        Path file = projectRoot.resolve(e.getValue()).toAbsolutePath().normalize();
        if (Files.exists(file)) {
          files.put(key, new FileDigest(file.toString(), sha256(file)));
        }
      }
    }
    return new RunInputs(values, files);
  }

  /** Whether a flattened key names an input file: see the class comment. */
  private static boolean isInputFile(String key) {
    if (key.startsWith("plugins[")) {
      return true;
    }
    if (!(key.startsWith("task.") || key.startsWith("preference.") || key.startsWith("rewards["))) {
      return false;
    }
    String last = key.substring(key.lastIndexOf('.') + 1).replaceAll("\\[\\d+]$", "");
    return last.contains("path") || last.contains("file");
  }

  /** Leaf values as {@code a.b.c} / {@code a.list[2].x} keys and their HOCON text. */
  private static void flatten(String prefix, ConfigValue value, Map<String, String> out) {
    if (value instanceof ConfigObject o) {
      for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
        flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
      }
    } else if (value instanceof ConfigList list) {
      for (int i = 0; i < list.size(); i++) {
        flatten(prefix + "[" + i + "]", list.get(i), out);
      }
      if (list.isEmpty()) {
        out.put(prefix, "[]");
      }
    } else if (value.valueType() == ConfigValueType.STRING) {
      out.put(prefix, (String) value.unwrapped());
    } else if (value.valueType() == ConfigValueType.NUMBER) {
      // By value: 1e-3, 0.001 and 0.0010 are the same learning rate.
      out.put(
          prefix,
          new java.math.BigDecimal(value.unwrapped().toString())
              .stripTrailingZeros()
              .toPlainString());
    } else {
      out.put(prefix, value.render(ConfigRenderOptions.concise()));
    }
  }

  /** Writes {@code <runDir>/inputs.json} atomically (a temporary file, fsync, rename). */
  public void write(Path runDir) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", 1);
    ObjectNode cfg = root.putObject("config");
    config.forEach(cfg::put);
    ObjectNode fs = root.putObject("files");
    files.forEach((key, d) -> fs.putObject(key).put("path", d.path()).put("sha256", d.sha256()));
    try {
      DurableFiles.writeString(
          runDir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + runDir.resolve(FILE), e);
    }
  }

  /** What {@link #write} recorded in {@code runDir}, or null for a run from before the record. */
  public static RunInputs read(Path runDir) {
    Path file = runDir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      JsonNode root = JSON.readTree(file.toFile());
      Map<String, String> values = new TreeMap<>();
      root.path("config")
          .fields()
          .forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
      Map<String, FileDigest> files = new TreeMap<>();
      root.path("files")
          .fields()
          .forEachRemaining(
              e ->
                  files.put(
                      e.getKey(),
                      new FileDigest(
                          e.getValue().path("path").asText(),
                          e.getValue().path("sha256").asText())));
      return new RunInputs(values, files);
    } catch (IOException e) {
      throw new ConfigException(
          file + " is damaged (" + e.getMessage() + "); delete it to resume without the check");
    }
  }

  /**
   * The changes from {@code recorded} (the run's start) to this, in one line each, that resuming
   * must not make silently: every changed config value not in {@link #RESUMABLE} and every changed
   * or missing input file, minus the keys in {@code allowed} ({@code all} allows everything).
   */
  public List<Change> changesSince(RunInputs recorded, Set<String> allowed) {
    List<Change> changes = new ArrayList<>();
    TreeMap<String, String> keys = new TreeMap<>(recorded.config);
    config.keySet().forEach(k -> keys.putIfAbsent(k, null));
    for (String key : keys.keySet()) {
      String before = recorded.config.get(key);
      String now = config.get(key);
      if (!java.util.Objects.equals(before, now) && !resumable(key)) {
        changes.add(new Change(key, describe(before) + " -> " + describe(now)));
      }
    }
    TreeMap<String, FileDigest> fileKeys = new TreeMap<>(recorded.files);
    files.keySet().forEach(k -> fileKeys.putIfAbsent(k, null));
    for (String key : fileKeys.keySet()) {
      FileDigest before = recorded.files.get(key);
      FileDigest now = files.get(key);
      if (before == null || now == null || !before.sha256().equals(now.sha256())) {
        changes.add(new Change(key, fileChange(before, now)));
      }
    }
    if (allowed.contains("all")) {
      return List.of();
    }
    changes.removeIf(c -> allowed.contains(c.key()) || allowed.contains(topKey(c.key())));
    return changes;
  }

  /** One input that differs: its key and what happened to it. */
  public record Change(String key, String what) {
    @Override
    public String toString() {
      return key + " " + what;
    }
  }

  /**
   * Refuses a resume whose inputs changed: {@code changes} in one line with the way out.
   *
   * @throws ConfigException naming each change and the {@code --allow-changed} keys
   */
  public static void refuse(Path runDir, List<Change> changes) {
    if (changes.isEmpty()) {
      return;
    }
    List<String> keys = changes.stream().map(Change::key).distinct().toList();
    throw new ConfigException(
        "tokenrl train: cannot resume "
            + runDir
            + ": its inputs changed since the run started: "
            + String.join("; ", changes.stream().map(Change::toString).toList())
            + ". Put them back, or accept the change with --resume "
            + runDir
            + " --allow-changed "
            + String.join(",", keys));
  }

  private static boolean resumable(String key) {
    for (String r : RESUMABLE) {
      if (r.endsWith(".") ? key.startsWith(r) : key.equals(r)) {
        return true;
      }
    }
    return false;
  }

  /** {@code rewards[1].weight} is allowed by {@code rewards[1].weight} and by {@code rewards}. */
  private static String topKey(String key) {
    return key.replaceAll("[.\\[].*$", "");
  }

  private static String describe(String value) {
    if (value == null) {
      return "(unset)";
    }
    return value.length() <= 40 ? value : value.substring(0, 37) + "...";
  }

  private static String fileChange(FileDigest before, FileDigest now) {
    if (before == null) {
      return now.path() + " is new";
    }
    if (now == null) {
      return before.path() + " is gone";
    }
    String where =
        before.path().equals(now.path()) ? now.path() : before.path() + " -> " + now.path();
    return where
        + " changed (sha256 "
        + before.sha256().substring(0, 12)
        + " -> "
        + now.sha256().substring(0, 12)
        + ")";
  }

  /** SHA-256 of a file's bytes, or of a folder's sorted relative paths and their files' bytes. */
  static String sha256(Path path) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      if (Files.isDirectory(path)) {
        try (Stream<Path> s = Files.walk(path)) {
          for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
            md.update(
                path.relativize(p).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update((byte) 0);
            update(md, p);
          }
        }
      } else {
        update(md, path);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void update(MessageDigest md, Path file) throws IOException {
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
  }
}
