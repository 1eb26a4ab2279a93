package org.tokenrl.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Composes a run configuration Hydra-style from a config root such as {@code configs/}:
 *
 * <ul>
 *   <li>{@code base.conf} declares every key with its default; its {@code defaults} block selects
 *       one file per group, e.g. {@code defaults { algorithm = grpo, task = arith }}.
 *   <li>Every folder under the root is a group; {@code algorithm/grpo.conf} is an option of group
 *       {@code algorithm}. The selected file's content goes under the group's key ({@code clip_eps}
 *       becomes {@code algorithm.clip_eps}) and {@code algorithm.name} is set to {@code grpo}.
 *   <li>A run file may change the selection in its own {@code defaults} block, set any key, and
 *       {@code include} other files (relative to itself).
 *   <li>Command-line overrides come last: {@code trainer.steps=50} sets a key (the value is parsed
 *       as HOCON: number, boolean, list, quoted or bare string); {@code algorithm=tempo} selects a
 *       group option.
 * </ul>
 *
 * <p>Merge order, later wins: base.conf &lt; group files &lt; run file &lt; overrides. Before any
 * work the run file and overrides are checked against the schema (the leaf keys of base.conf and of
 * the selected group files, see {@link ConfigSchema}): unknown keys, wrong types, missing files and
 * unknown group options throw a {@link ConfigException} with a one-line message.
 *
 * <p>Schema conventions in base.conf: a number written {@code 1.0} is a double, {@code 1} an
 * integer (a double is rejected where an integer is declared); {@code null} accepts any type; a
 * list is checked only as a list; an object whose comment has a line starting with {@code
 * free-form} (e.g. {@code # free-form: passed to the logger}) accepts any keys below it.
 *
 * <p>Length: composition, overrides and the schema check are one pass over one tree; split, each
 * half would need the other's intermediate state.
 */
public final class ConfigLoader {
  private static final String BASE = "base.conf";
  private static final String DEFAULTS = "defaults";
  private static final String EXT = ".conf";

  private ConfigLoader() {}

  /**
   * Loads and validates a run configuration.
   *
   * @param configRoot the folder holding base.conf and the group folders
   * @param runFile the run config file, or null to run with base.conf's defaults
   * @param overrides command-line overrides, {@code key=value} or {@code group=option}
   */
  public static ResolvedConfig load(Path configRoot, Path runFile, List<String> overrides) {
    Path basePath = configRoot.resolve(BASE);
    if (!Files.isRegularFile(basePath)) {
      throw new ConfigException(
          "config error: no "
              + display(basePath)
              + " (the config root must hold "
              + BASE
              + " with every key and its default)");
    }
    Map<String, List<String>> groups = groupOptions(configRoot);
    Config base = parse(basePath);
    List<String> sources = new ArrayList<>(List.of(display(basePath)));

    // Group selection: base defaults < run file defaults < command line.
    Map<String, Selection> selected = new TreeMap<>();
    readDefaults(base, display(basePath), groups, selected);
    Config run = null;
    if (runFile != null) {
      if (!Files.isRegularFile(runFile)) {
        throw new ConfigException(
            "config error: run config "
                + display(runFile)
                + " not found"
                + runFileHint(configRoot));
      }
      run = parse(runFile);
      readDefaults(run, display(runFile), groups, selected);
      run = run.withoutPath(DEFAULTS);
    }
    List<Layer> overrideLayers = new ArrayList<>();
    for (String override : overrides) {
      Layer layer = parseOverride(override, groups, selected);
      if (layer != null) {
        overrideLayers.add(layer);
      }
    }

    // Global group files (first line "# @package _global_", as in Hydra) are whole-config presets:
    // their defaults select other groups (the command line still wins), their keys apply at the
    // root, after the run file and before command-line overrides.
    Map<Path, Config> globals = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, Selection> entry : new ArrayList<>(selected.entrySet())) {
      Path file = optionFile(configRoot, entry.getKey(), entry.getValue().option);
      if (Files.isRegularFile(file) && isGlobal(file)) {
        Config preset = parse(file);
        Map<String, Selection> chosenByPreset = new TreeMap<>();
        readDefaults(preset, display(file), groups, chosenByPreset);
        chosenByPreset.forEach(
            (group, selection) -> {
              Selection current = selected.get(group);
              if (current == null || !current.fromCommandLine) {
                selected.put(group, selection);
              }
            });
        globals.put(file, preset.withoutPath(DEFAULTS));
      }
    }

    ConfigSchema schema = new ConfigSchema();
    schema.addKeys(base.root(), List.of());
    Config merged = base;
    Map<String, Object> defaults = new TreeMap<>();
    for (Map.Entry<String, Selection> entry : selected.entrySet()) {
      String group = entry.getKey();
      Selection selection = entry.getValue();
      Path file = optionFile(configRoot, group, selection.option);
      if (!groups.get(group).contains(selection.option)) {
        throw new ConfigException(
            "config error: no file "
                + display(file)
                + " for '"
                + selection.assignment
                + "'"
                + (selection.fromCommandLine ? "" : " in " + selection.source)
                + " (choose one of: "
                + String.join(", ", groups.get(group))
                + ")");
      }
      defaults.put(group, selection.option);
      if (globals.containsKey(file)) {
        continue;
      }
      Config groupConfig = parse(file);
      schema.checkKnownTypes(groupConfig.root(), List.of(group), display(file));
      schema.addKeys(groupConfig.root(), List.of(group));
      schema.reserve(
          group + ".name",
          "'"
              + group
              + ".name' is the name of the selected "
              + group
              + " file; select another"
              + " with '"
              + group
              + "=<option>' or defaults { "
              + group
              + " = ... }");
      merged = groupConfig.root().atKey(group).withFallback(merged);
      sources.add(display(file));
    }
    if (run != null) {
      schema.check(run.root(), display(runFile));
      merged = run.withFallback(merged);
      sources.add(display(runFile));
    }
    for (Map.Entry<Path, Config> preset : globals.entrySet()) {
      schema.check(preset.getValue().root(), display(preset.getKey()));
      merged = preset.getValue().withFallback(merged);
      sources.add(display(preset.getKey()));
    }
    for (Layer layer : overrideLayers) {
      schema.check(layer.config.root(), layer.source);
      merged = layer.config.withFallback(merged);
      sources.add(layer.source);
    }

    // The selection itself is part of the result, so a rendered config records what was chosen.
    Config chosen = ConfigFactory.empty();
    for (Map.Entry<String, Object> entry : defaults.entrySet()) {
      chosen =
          chosen.withValue(
              entry.getKey() + ".name",
              ConfigValueFactory.fromAnyRef(entry.getValue(), "selected " + entry.getKey()));
    }
    chosen = chosen.withValue(DEFAULTS, ConfigValueFactory.fromMap(defaults, "group selection"));
    merged = chosen.withFallback(merged);
    return new ResolvedConfig(Plugins.resolvePaths(resolve(merged)), sources);
  }

  /** Reads a config written by {@link ResolvedConfig#render()}, e.g. to resume a run. */
  public static ResolvedConfig loadResolved(Path renderedFile) {
    if (!Files.isRegularFile(renderedFile)) {
      throw new ConfigException(
          "config error: resolved config " + display(renderedFile) + " not found");
    }
    return new ResolvedConfig(resolve(parse(renderedFile)), List.of(display(renderedFile)));
  }

  /**
   * Applies command-line {@code key=value} overrides to an already resolved config (a run's
   * config.conf), as strictly as {@link #load}: every key must exist in it with the same type, an
   * unknown one gets the closest valid key, and only keys under {@code allowedPrefix} may change.
   */
  public static Config override(Config resolved, List<String> overrides, String allowedPrefix) {
    ConfigSchema schema = new ConfigSchema();
    schema.addKeys(resolved.root(), List.of());
    Config out = resolved;
    for (String o : overrides) {
      Layer layer = parseOverride(o, Map.of(), new TreeMap<>());
      String key = o.substring(0, o.indexOf('=')).strip();
      if (!key.startsWith(allowedPrefix)) {
        throw new ConfigException(
            "config error: only "
                + allowedPrefix
                + "* overrides are allowed here, got "
                + layer.source);
      }
      schema.check(layer.config.root(), layer.source);
      out = layer.config.withFallback(out);
    }
    return resolve(out);
  }

  /** A path as the user would write it: relative to the working directory when inside it. */
  public static String display(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    Path absolute = path.toAbsolutePath().normalize();
    return absolute.startsWith(cwd) && !absolute.equals(cwd)
        ? cwd.relativize(absolute).toString()
        : path.toString();
  }

  private record Selection(
      String option, String assignment, String source, boolean fromCommandLine) {}

  private record Layer(Config config, String source) {}

  private static Layer parseOverride(
      String override, Map<String, List<String>> groups, Map<String, Selection> selected) {
    String source = "command-line override '" + override + "'";
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new ConfigException(
          "config error: "
              + source
              + " is not key=value (e.g. trainer.steps=50 or algorithm=grpo)");
    }
    String key = override.substring(0, eq).strip();
    String text = override.substring(eq + 1).strip();
    String group = key.startsWith(DEFAULTS + ".") ? key.substring(DEFAULTS.length() + 1) : key;
    if (groups.containsKey(group)) {
      selected.put(group, new Selection(text, override, source, true));
      return null;
    }
    if (!group.equals(key)) {
      throw unknownGroup(group, source, groups);
    }
    ConfigValue value;
    try {
      value =
          ConfigFactory.parseString(
                  "value = " + text, ConfigParseOptions.defaults().setOriginDescription(source))
              .getValue("value");
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(
          "config error: cannot parse the value of "
              + source
              + " as HOCON; quote strings that"
              + " contain special characters, e.g. "
              + key
              + "='\""
              + text
              + "\"'",
          e);
    }
    try {
      return new Layer(ConfigFactory.empty(source).withValue(key, value), source);
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(
          "config error: '" + key + "' is not a valid key path (" + source + ")", e);
    }
  }

  private static void readDefaults(
      Config config, String file, Map<String, List<String>> groups, Map<String, Selection> out) {
    ConfigValue value = config.root().get(DEFAULTS);
    if (value == null) {
      return;
    }
    if (value.valueType() != ConfigValueType.OBJECT) {
      throw new ConfigException(
          "config error: 'defaults' must be an object like defaults { algorithm = grpo } (in "
              + file
              + ")");
    }
    for (Map.Entry<String, ConfigValue> entry : ((ConfigObject) value).entrySet()) {
      String group = entry.getKey();
      if (!groups.containsKey(group)) {
        throw unknownGroup(group, "in " + file, groups);
      }
      ConfigValue option = entry.getValue();
      if (option.valueType() != ConfigValueType.STRING) {
        throw new ConfigException(
            "config error: 'defaults."
                + group
                + "' must be the name of a file in "
                + group
                + "/, got "
                + option.valueType()
                + " "
                + ConfigSchema.renderShort(option)
                + " (in "
                + file
                + ")");
      }
      String name = (String) option.unwrapped();
      out.put(group, new Selection(name, "defaults." + group + "=" + name, file, false));
    }
  }

  private static ConfigException unknownGroup(
      String group, String where, Map<String, List<String>> groups) {
    return new ConfigException(
        "config error: unknown config group '"
            + group
            + "' "
            + where
            + " (groups are the folders of the config root: "
            + String.join(", ", groups.keySet())
            + ")");
  }

  /** Every folder of the config root is a group; its .conf files are the options. */
  private static Map<String, List<String>> groupOptions(Path configRoot) {
    Map<String, List<String>> groups = new TreeMap<>();
    try (Stream<Path> folders = Files.list(configRoot)) {
      for (Path folder : folders.filter(Files::isDirectory).collect(Collectors.toList())) {
        groups.put(folder.getFileName().toString(), confNames(folder));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list config root " + configRoot, e);
    }
    return groups;
  }

  private static List<String> confNames(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files
          .map(file -> file.getFileName().toString())
          .filter(name -> name.endsWith(EXT))
          .map(name -> name.substring(0, name.length() - EXT.length()))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  private static String runFileHint(Path configRoot) {
    try {
      List<String> runs = new ArrayList<>(confNames(configRoot));
      runs.remove("base");
      return runs.isEmpty()
          ? ""
          : " (run configs in "
              + display(configRoot)
              + ": "
              + runs.stream().map(name -> name + EXT).collect(Collectors.joining(", "))
              + ")";
    } catch (IOException e) {
      return "";
    }
  }

  private static Path optionFile(Path configRoot, String group, String option) {
    return configRoot.resolve(group).resolve(option + EXT);
  }

  /** Parses one HOCON file (and what it includes), turning syntax errors into one line. */
  /** Whether the file's first line is Hydra's {@code # @package _global_} marker. */
  private static boolean isGlobal(Path file) {
    try (java.io.BufferedReader r = Files.newBufferedReader(file)) {
      String first = r.readLine();
      return first != null && first.strip().equals("# @package _global_");
    } catch (IOException e) {
      throw new ConfigException(
          "config error: cannot read " + display(file) + ": " + e.getMessage());
    }
  }

  private static Config parse(Path file) {
    try {
      return ConfigFactory.parseFile(
          file.toFile(),
          ConfigParseOptions.defaults()
              .setAllowMissing(false)
              .setIncluder(new StrictIncluder(file)));
    } catch (MissingInclude e) {
      throw new ConfigException(e.getMessage());
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(
          "config error: syntax error at " + location(e, file) + ": " + detail(e), e);
    }
  }

  /** An {@code include} of a file that does not exist: refused, never silently skipped. */
  private static final class MissingInclude extends RuntimeException {
    MissingInclude(String message) {
      super(message);
    }
  }

  /**
   * Includes as HOCON does (relative to the including file), except that a missing file is an
   * error: Typesafe Config skips a missing {@code include "x"} unless it is {@code required(...)}.
   */
  private static final class StrictIncluder
      implements com.typesafe.config.ConfigIncluder, com.typesafe.config.ConfigIncluderFile {
    private final Path top;

    StrictIncluder(Path top) {
      this.top = top;
    }

    @Override
    public com.typesafe.config.ConfigIncluder withFallback(
        com.typesafe.config.ConfigIncluder fallback) {
      return this;
    }

    @Override
    public com.typesafe.config.ConfigObject include(
        com.typesafe.config.ConfigIncludeContext context, String what) {
      com.typesafe.config.ConfigParseable p = context.relativeTo(what);
      if (p == null) {
        throw new MissingInclude(
            "config error: include \"" + what + "\" in " + display(top) + ": file not found");
      }
      try {
        return p.parse(p.options().setAllowMissing(false).setIncluder(this));
      } catch (com.typesafe.config.ConfigException.IO e) {
        throw new MissingInclude(
            "config error: include \""
                + what
                + "\" in "
                + display(top)
                + ": no such file (relative to the including file)");
      }
    }

    @Override
    public com.typesafe.config.ConfigObject includeFile(
        com.typesafe.config.ConfigIncludeContext context, java.io.File what) {
      if (!what.isFile()) {
        throw new MissingInclude(
            "config error: include file(\"" + what + "\") in " + display(top) + ": file not found");
      }
      return ConfigFactory.parseFile(
              what, context.parseOptions().setAllowMissing(false).setIncluder(this))
          .root();
    }
  }

  private static Config resolve(Config merged) {
    try {
      return merged.resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException("config error: " + e.getMessage(), e);
    }
  }

  private static String location(com.typesafe.config.ConfigException e, Path file) {
    if (e.origin() == null || e.origin().filename() == null) {
      return display(file);
    }
    String name = display(Path.of(e.origin().filename()));
    return e.origin().lineNumber() > 0 ? name + ":" + e.origin().lineNumber() : name;
  }

  /** Typesafe's message without the origin prefix it already starts with. */
  private static String detail(com.typesafe.config.ConfigException e) {
    String message = e.getMessage();
    if (e.origin() != null && message.startsWith(e.origin().description() + ": ")) {
      return message.substring(e.origin().description().length() + 2);
    }
    return message;
  }
}
