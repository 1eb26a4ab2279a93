package org.tokenrl.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads a block whose keys depend on a name chosen in the config (an {@code algorithm { name =
 * grpo, ... }} block, a {@code rewards} entry) strictly: a key the named thing does not define
 * fails, naming the block and the valid keys (a typo must not silently fall back to a default), and
 * a bad value fails naming its config key. The whole file's fixed keys are checked against
 * configs/base.conf by {@link ConfigSchema}; these blocks are checked here, by whoever builds them.
 */
public final class StrictSettings {
  private final String block;
  private final String keyPrefix;

  /**
   * @param block how errors name the block, e.g. "algorithm" or "rewards entry"
   * @param keyPrefix how errors name a key, e.g. "algorithm." gives "algorithm.eps_adv"
   */
  public StrictSettings(String block, String keyPrefix) {
    this.block = block;
    this.keyPrefix = keyPrefix;
  }

  /**
   * Returns {@code given} with {@code defaults} filled in, after checking that every key of it is
   * one the defaults define or one of {@code extraKeys}.
   *
   * @param name the chosen name, for the error ("algorithm 'grpo' has no key(s) ...")
   */
  public Config resolve(Config given, Config defaults, Set<String> extraKeys, String name) {
    Set<String> known = new TreeSet<>(defaults.root().keySet());
    known.addAll(extraKeys);
    requireKnownKeys(given, known, name);
    return given.withFallback(defaults).resolve();
  }

  /** Fails unless every key of {@code given} is in {@code known}. */
  public void requireKnownKeys(Config given, Set<String> known, String name) {
    Set<String> unknown = new TreeSet<>(given.root().keySet());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          block
              + " '"
              + name
              + "' has no key(s) "
              + unknown
              + "; valid keys: "
              + new TreeSet<>(known));
    }
  }

  /** Reads an enum written in config as its lowercase name with '-' for '_' ("token-mean"). */
  public <E extends Enum<E>> E choice(Config c, String key, Class<E> type) {
    String raw = c.getString(key);
    for (E e : type.getEnumConstants()) {
      if (configName(e).equals(raw)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        keyPrefix + key + " = '" + raw + "' is not one of " + names(type));
  }

  public double number(Config c, String key) {
    try {
      return c.getDouble(key);
    } catch (ConfigException.WrongType e) {
      throw new IllegalArgumentException(keyPrefix + key + " must be a number", e);
    }
  }

  /** A number in (0, 1]. */
  public double fraction(Config c, String key) {
    double v = number(c, key);
    if (!(v > 0 && v <= 1)) {
      throw new IllegalArgumentException(keyPrefix + key + " must be in (0,1], got " + v);
    }
    return v;
  }

  /** Fails naming the key unless {@code ok}: {@code "bleu.max_n must be >= 1"}. */
  public void require(boolean ok, String key, String rule) {
    if (!ok) {
      throw new IllegalArgumentException(keyPrefix + key + " " + rule);
    }
  }

  /** The config spelling of an enum constant: lowercase, '-' for '_'. */
  public static String configName(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Every config spelling of an enum, "a|b|c". */
  public static <E extends Enum<E>> String names(Class<E> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(StrictSettings::configName)
        .collect(Collectors.joining("|"));
  }

  /** {@code c} with {@code key} set to {@code value}. */
  public static Config with(Config c, String key, Object value) {
    return c.withValue(key, ConfigValueFactory.fromAnyRef(value));
  }
}
