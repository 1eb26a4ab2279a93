package org.tokenrl.rewards;

import com.typesafe.config.Config;
import java.util.Set;
import java.util.TreeSet;
import org.tokenrl.core.StrictSettings;

/**
 * A built-in reward's parameters, read from its {@code rewards} entry with defaults. Keys the
 * built-in does not know are rejected, so a typo ({@code ignore_cas = true}) fails at startup.
 */
final class RewardParams {
  private final Config entry;
  private final String reward;
  private final StrictSettings strict;

  private RewardParams(Config entry, String reward, StrictSettings strict) {
    this.entry = entry;
    this.reward = reward;
    this.strict = strict;
  }

  /** Checks that each key of {@code entry} is name, weight or one of {@code keys}. */
  static RewardParams of(Config entry, String reward, String... keys) {
    Set<String> known = new TreeSet<>(Set.of(keys));
    known.add(RewardRegistry.NAME);
    known.add(CompositeReward.WEIGHT);
    StrictSettings strict = new StrictSettings("rewards entry", reward + ".");
    strict.requireKnownKeys(entry, known, reward);
    return new RewardParams(entry, reward, strict);
  }

  boolean bool(String key, boolean fallback) {
    return entry.hasPath(key) ? entry.getBoolean(key) : fallback;
  }

  double number(String key, double fallback) {
    return entry.hasPath(key) ? entry.getDouble(key) : fallback;
  }

  String string(String key, String fallback) {
    return entry.hasPath(key) ? entry.getString(key) : fallback;
  }

  String requiredString(String key) {
    if (!entry.hasPath(key)) {
      throw new IllegalArgumentException(
          "rewards entry '"
              + reward
              + "' needs '"
              + key
              + "', e.g. {name = "
              + reward
              + ", "
              + key
              + " = ...}");
    }
    return entry.getString(key);
  }

  /** Fails with the reward and key named unless {@code ok}. */
  void require(boolean ok, String key, String rule) {
    strict.require(ok, key, rule);
  }
}
