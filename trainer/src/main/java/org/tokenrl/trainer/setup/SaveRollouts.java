package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tokenrl.core.ConfigException;

/**
 * {@code trainer.save_rollouts}: how often an RL run saves its rollouts, written as a step count
 * ({@code 10}, or {@code "every 10"}) or {@code off} (also {@code 0} or {@code false}); unset
 * (null, the default, or absent from a run config written before the key existed) means every step.
 * Any other value stops the run before any work, naming the key and where it was set.
 */
public final class SaveRollouts {
  public static final String KEY = "trainer.save_rollouts";
  private static final Pattern EVERY = Pattern.compile("(?:every\\s+)?(\\d+)");

  private SaveRollouts() {}

  /** RL steps between saved rollouts; 0 = off. */
  public static int every(Config c) {
    if (!c.hasPath(KEY)) {
      return 1;
    }
    ConfigValue v = c.getValue(KEY);
    Object raw = v.unwrapped();
    if (v.valueType() == ConfigValueType.NUMBER) {
      double n = ((Number) raw).doubleValue();
      if (n >= 0 && n == Math.rint(n) && n <= Integer.MAX_VALUE) {
        return (int) n;
      }
    } else if (v.valueType() == ConfigValueType.BOOLEAN) {
      if (!(Boolean) raw) {
        return 0;
      }
    } else if (v.valueType() == ConfigValueType.STRING) {
      String s = ((String) raw).strip().toLowerCase(Locale.ROOT);
      if (s.equals("off") || s.equals("false") || s.equals("no")) {
        return 0;
      }
      Matcher m = EVERY.matcher(s);
      if (m.matches()) {
        return Integer.parseInt(m.group(1));
      }
    }
    String origin = v.origin().description();
    origin = origin == null ? null : origin.replaceFirst(": \\d+$", "");
    throw new ConfigException(
        "config error: "
            + KEY
            + " must be a step count N (save every Nth RL step's rollouts) or off, got '"
            + raw
            + "'"
            + (origin == null || origin.isBlank() ? "" : " (" + origin + ")"));
  }
}
