package org.tokenrl.core;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The keys a run may set and the type each must have: the leaf keys of base.conf plus those of the
 * selected group files. The schema value of a key fixes its type; a {@code null} schema value
 * accepts any type. An object whose comment contains a line starting with {@code free-form} is
 * accepted as a whole, without checking the keys below it. Lists are leaves, so a list of objects
 * (e.g. {@code rewards = [...]}) is free-form too.
 */
final class ConfigSchema {
  /** The marker that opens a comment line above an object whose keys are not checked. */
  static final String FREE_FORM_MARKER = "free-form";

  private final Map<String, ConfigValue> leaves = new LinkedHashMap<>();
  private final Set<String> objectPaths = new HashSet<>();
  private final Set<String> freeForm = new LinkedHashSet<>();
  private final Map<String, String> reserved = new LinkedHashMap<>();

  /** Adds every leaf of {@code root} (placed under {@code prefix}) as a valid key. */
  void addKeys(ConfigObject root, List<String> prefix) {
    walk(root, prefix, true, (path, value) -> leaves.putIfAbsent(join(path), value));
  }

  /** A key the user may not set, with the reason shown when they try. */
  void reserve(String key, String reason) {
    reserved.put(key, reason);
  }

  /**
   * Checks the types of the keys of {@code root} that the schema knows, ignoring new keys: used for
   * group files, which may add keys to their own block.
   */
  void checkKnownTypes(ConfigObject root, List<String> prefix, String source) {
    walk(
        root,
        prefix,
        false,
        (path, value) -> {
          ConfigValue schemaValue = leaves.get(join(path));
          if (schemaValue != null) {
            checkType(join(path), schemaValue, value, source);
          }
        });
  }

  /** Checks that every key of {@code root} is valid and has the schema's type. */
  void check(ConfigObject root, String source) {
    walk(root, List.of(), false, (path, value) -> checkKey(join(path), value, source));
  }

  private void checkKey(String key, ConfigValue value, String source) {
    String where = sourceOf(value, source);
    if (reserved.containsKey(key)) {
      throw new ConfigException("config error: " + reserved.get(key) + " (" + where + ")");
    }
    for (String root : freeForm) {
      if (key.equals(root)) {
        requireObject(key, value, where);
        return;
      }
      if (key.startsWith(root + ".")) {
        return;
      }
    }
    ConfigValue schemaValue = leaves.get(key);
    if (schemaValue != null) {
      checkType(key, schemaValue, value, where);
    } else if (objectPaths.contains(key)) {
      requireObject(key, value, where);
    } else {
      String suggestion = closestKey(key);
      throw new ConfigException(
          "config error: unknown key '"
              + key
              + "' in "
              + where
              + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)"));
    }
  }

  private static void requireObject(String key, ConfigValue value, String where) {
    ConfigValueType type = typeOrNull(value);
    if (type != null && type != ConfigValueType.OBJECT && type != ConfigValueType.NULL) {
      throw typeError(key, "an object", value, where);
    }
  }

  private void checkType(String key, ConfigValue schemaValue, ConfigValue value, String source) {
    ConfigValueType expected = typeOrNull(schemaValue);
    ConfigValueType actual = typeOrNull(value);
    // Unresolved substitutions and null (meaning "unset") are not checked here; typed reads of
    // the resolved config still reject a wrong type.
    if (expected == null
        || actual == null
        || expected == ConfigValueType.NULL
        || actual == ConfigValueType.NULL) {
      return;
    }
    boolean ok =
        expected == actual
            && (expected != ConfigValueType.NUMBER || !isInteger(schemaValue) || isInteger(value));
    if (!ok) {
      throw typeError(key, kind(schemaValue), value, sourceOf(value, source));
    }
  }

  private static ConfigException typeError(
      String key, String kind, ConfigValue value, String where) {
    return new ConfigException(
        "config error: '"
            + key
            + "' must be "
            + kind
            + ", got "
            + value.valueType()
            + " "
            + renderShort(value)
            + " ("
            + where
            + ")");
  }

  /**
   * Whether a number was written as an integer. Typesafe Config parses {@code 1.0} as an int, so
   * the literal text decides: a schema default written {@code 1.0} declares a double.
   */
  static boolean isInteger(ConfigValue number) {
    Object unwrapped = number.unwrapped();
    if (!(unwrapped instanceof Integer || unwrapped instanceof Long)) {
      return false;
    }
    String text = number.atKey("v").getString("v");
    return text.chars().noneMatch(c -> c == '.' || c == 'e' || c == 'E');
  }

  private static String kind(ConfigValue schemaValue) {
    switch (schemaValue.valueType()) {
      case NUMBER:
        return isInteger(schemaValue) ? "an integer" : "a number";
      case STRING:
        return "a string";
      case BOOLEAN:
        return "a boolean";
      case LIST:
        return "a list";
      default:
        return "an object";
    }
  }

  static String renderShort(ConfigValue value) {
    String text;
    if (value.valueType() == ConfigValueType.NUMBER) {
      text = value.atKey("v").getString("v");
    } else {
      text = value.render(ConfigRenderOptions.concise());
    }
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }

  /** The file a value was written in (it may come from an included file), else the layer's name. */
  private static String sourceOf(ConfigValue value, String source) {
    String file = value.origin().filename();
    return file == null ? source : ConfigLoader.display(Path.of(file));
  }

  /** The valid key nearest to {@code key}, comparing full dotted keys and last segments. */
  String closestKey(String key) {
    String last = lastSegment(key);
    String best = null;
    int bestScore = Integer.MAX_VALUE;
    int bestFull = Integer.MAX_VALUE;
    List<String> candidates = new ArrayList<>(leaves.keySet());
    candidates.addAll(freeForm);
    for (String candidate : candidates) {
      int full = levenshtein(key, candidate);
      int score = Integer.MAX_VALUE;
      if (full <= tolerance(key)) {
        score = full;
      }
      int lastDistance = levenshtein(last, lastSegment(candidate));
      if (lastDistance <= tolerance(last)) {
        score = Math.min(score, lastDistance);
      }
      // Ties go to the key closest as a whole, so a typo stays in its own block.
      boolean closer = score < bestScore || (score == bestScore && full < bestFull);
      if (score != Integer.MAX_VALUE && closer) {
        best = candidate;
        bestScore = score;
        bestFull = full;
      }
    }
    return best;
  }

  /** How many edits still count as a typo: one for short words, up to three for long keys. */
  private static int tolerance(String typed) {
    int length = typed.length();
    return Math.min(length - 1, length <= 3 ? 1 : length <= 7 ? 2 : 3);
  }

  /** Edit distance (insertions, deletions, substitutions) between two strings. */
  static int levenshtein(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  private static String lastSegment(String key) {
    List<String> parts = ConfigUtil.splitPath(key);
    return parts.get(parts.size() - 1);
  }

  /**
   * Visits the leaves of {@code object}: non-object values, empty objects, unresolved values, and
   * (when {@code schema}) objects marked free-form. Values under a free-form or any-type key are
   * not descended into.
   */
  private void walk(
      ConfigObject object,
      List<String> prefix,
      boolean schema,
      BiConsumer<List<String>, ConfigValue> visit) {
    Set<Map.Entry<String, ConfigValue>> entries = entries(object);
    if (entries == null) {
      return;
    }
    for (Map.Entry<String, ConfigValue> entry : entries) {
      List<String> path = new ArrayList<>(prefix);
      path.add(entry.getKey());
      ConfigValue value = entry.getValue();
      String key = join(path);
      if (schema && isFreeForm(value)) {
        freeForm.add(key);
        markParents(path);
        continue;
      }
      boolean descend =
          typeOrNull(value) == ConfigValueType.OBJECT
              && !isEmptyOrUnresolved((ConfigObject) value)
              && (schema || !(freeForm.contains(key) || isAnyType(key)));
      if (descend) {
        if (schema) {
          objectPaths.add(key);
        }
        walk((ConfigObject) value, path, schema, visit);
      } else {
        if (schema) {
          markParents(path);
        }
        visit.accept(path, value);
      }
    }
  }

  private static boolean isEmptyOrUnresolved(ConfigObject object) {
    Set<Map.Entry<String, ConfigValue>> entries = entries(object);
    return entries == null || entries.isEmpty();
  }

  private boolean isAnyType(String key) {
    ConfigValue schemaValue = leaves.get(key);
    return schemaValue != null && typeOrNull(schemaValue) == ConfigValueType.NULL;
  }

  private void markParents(List<String> path) {
    for (int i = 1; i < path.size(); i++) {
      objectPaths.add(join(path.subList(0, i)));
    }
  }

  private static boolean isFreeForm(ConfigValue value) {
    return typeOrNull(value) == ConfigValueType.OBJECT
        && value.origin().comments().stream()
            .anyMatch(line -> line.strip().startsWith(FREE_FORM_MARKER));
  }

  /** The entries of an object, or null when it is an unresolved merge that cannot be listed. */
  private static Set<Map.Entry<String, ConfigValue>> entries(ConfigObject object) {
    try {
      return object.entrySet();
    } catch (com.typesafe.config.ConfigException.NotResolved e) {
      return null;
    }
  }

  private static ConfigValueType typeOrNull(ConfigValue value) {
    try {
      return value.valueType();
    } catch (com.typesafe.config.ConfigException.NotResolved e) {
      return null;
    }
  }

  static String join(List<String> path) {
    return ConfigUtil.joinPath(path);
  }
}
