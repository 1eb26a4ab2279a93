package org.tokenrl.algorithms;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Helpers that read an {@code algorithm { ... }} block strictly: unknown keys and bad values fail.
 */
final class Settings {
  private Settings() {}

  /**
   * Returns {@code block} with {@code defaults} filled in, after checking that every key of the
   * block is one the defaults define (a typo must not silently fall back to a default).
   */
  static Config resolve(Config block, Config defaults, Set<String> extraKeys, String algorithm) {
    Set<String> unknown = new TreeSet<>();
    for (String key : block.root().keySet()) {
      if (!defaults.hasPath(key) && !extraKeys.contains(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      Set<String> known = new TreeSet<>(defaults.root().keySet());
      known.addAll(extraKeys);
      throw new IllegalArgumentException(
          "algorithm '" + algorithm + "' has no key(s) " + unknown + "; valid keys: " + known);
    }
    return block.withFallback(defaults).resolve();
  }

  /** Reads an enum written in config as its lowercase name with '-' for '_' ("token-mean"). */
  static <E extends Enum<E>> E choice(Config c, String key, Class<E> type) {
    String raw = c.getString(key);
    for (E e : type.getEnumConstants()) {
      if (configName(e).equals(raw)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        "algorithm." + key + " = '" + raw + "' is not one of " + names(type));
  }

  static String configName(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static <E extends Enum<E>> String names(Class<E> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(Settings::configName)
        .collect(Collectors.joining("|"));
  }

  static double number(Config c, String key) {
    try {
      return c.getDouble(key);
    } catch (ConfigException.WrongType e) {
      throw new IllegalArgumentException("algorithm." + key + " must be a number", e);
    }
  }

  static double fraction(Config c, String key) {
    double v = number(c, key);
    if (!(v > 0 && v <= 1)) {
      throw new IllegalArgumentException("algorithm." + key + " must be in (0,1], got " + v);
    }
    return v;
  }

  static Config with(Config c, String key, Object value) {
    return c.withValue(key, ConfigValueFactory.fromAnyRef(value));
  }
}
