package org.tokenrl.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads from one block of a resolved config, with {@link ConfigException}s that name the full
 * key ({@code task.digits}, not {@code digits}) and say what value is expected. Integers are
 * strict: {@code 1.5} is not silently truncated.
 */
public final class ConfigReader {
  private final Config config;
  private final String path;

  /**
   * @param config the block to read
   * @param path where the block sits in the full config, used in messages ("" for the root)
   */
  public ConfigReader(Config config, String path) {
    this.config = config;
    this.path = path;
  }

  /** A reader for the block at {@code blockPath} of {@code root}. */
  public static ConfigReader of(Config root, String blockPath) {
    return new ConfigReader(root, "").block(blockPath);
  }

  public Config config() {
    return config;
  }

  /** The full dotted name of {@code key}, as messages show it. */
  public String fullKey(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Whether the key is set to something other than null. */
  public boolean has(String key) {
    return config.hasPath(key);
  }

  public ConfigReader block(String key) {
    value(key, ConfigValueType.OBJECT, "an object");
    return new ConfigReader(config.getConfig(key), fullKey(key));
  }

  public String string(String key) {
    return (String) value(key, ConfigValueType.STRING, "a string").unwrapped();
  }

  public boolean bool(String key) {
    return (Boolean) value(key, ConfigValueType.BOOLEAN, "a boolean").unwrapped();
  }

  /** A boolean that may be absent or null. */
  public boolean bool(String key, boolean fallback) {
    return has(key) ? bool(key) : fallback;
  }

  public double number(String key) {
    return ((Number) value(key, ConfigValueType.NUMBER, "a number").unwrapped()).doubleValue();
  }

  /** A number in [min, max]. */
  public double number(String key, double min, double max) {
    double value = number(key);
    if (!(value >= min && value <= max)) {
      throw new ConfigException(
          "config error: '"
              + fullKey(key)
              + "' must be in ["
              + min
              + ", "
              + max
              + "], got "
              + value);
    }
    return value;
  }

  public int integer(String key) {
    ConfigValue value = value(key, ConfigValueType.NUMBER, "an integer");
    Object number = value.unwrapped();
    if (!(number instanceof Integer) || !ConfigSchema.isInteger(value)) {
      throw new ConfigException(
          "config error: '"
              + fullKey(key)
              + "' must be an integer, got "
              + ConfigSchema.renderShort(value)
              + location(value));
    }
    return (Integer) number;
  }

  /** An integer in [min, max]. */
  public int integer(String key, int min, int max) {
    int value = integer(key);
    if (value < min || value > max) {
      String range = max == Integer.MAX_VALUE ? "at least " + min : "in [" + min + ", " + max + "]";
      throw new ConfigException(
          "config error: '"
              + fullKey(key)
              + "' must be an integer "
              + range
              + ", got "
              + value
              + location(config.getValue(key)));
    }
    return value;
  }

  public int positiveInt(String key) {
    return integer(key, 1, Integer.MAX_VALUE);
  }

  public int nonNegativeInt(String key) {
    return integer(key, 0, Integer.MAX_VALUE);
  }

  public List<String> stringList(String key) {
    ConfigList list = (ConfigList) value(key, ConfigValueType.LIST, "a list of strings");
    List<String> out = new ArrayList<>();
    for (ConfigValue element : list) {
      if (element.valueType() != ConfigValueType.STRING) {
        throw new ConfigException(
            "config error: '"
                + fullKey(key)
                + "' must be a list of strings, got element "
                + element.valueType()
                + " "
                + ConfigSchema.renderShort(element)
                + location(element));
      }
      out.add((String) element.unwrapped());
    }
    return out;
  }

  private ConfigValue value(String key, ConfigValueType type, String kind) {
    if (!config.hasPathOrNull(key) || config.getIsNull(key)) {
      throw new ConfigException(
          "config error: missing key '"
              + fullKey(key)
              + "' (set it in base.conf, the selected "
              + "group file or the run config)");
    }
    ConfigValue value = config.getValue(key);
    if (value.valueType() != type) {
      throw new ConfigException(
          "config error: '"
              + fullKey(key)
              + "' must be "
              + kind
              + ", got "
              + value.valueType()
              + " "
              + ConfigSchema.renderShort(value)
              + location(value));
    }
    return value;
  }

  private static String location(ConfigValue value) {
    String description = value.origin().description();
    return description == null ? "" : " (" + description + ")";
  }
}
