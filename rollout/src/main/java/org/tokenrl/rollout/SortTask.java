package org.tokenrl.rollout;

import java.util.Arrays;
import org.tokenrl.core.ConfigReader;

/**
 * Sort the letters of a lowercase string: prompt {@code dbca>}, answer {@code abcd}. Strings with
 * the same letters are one problem (they share the answer), so held-out answers never appear in
 * train.
 *
 * <p>Config keys: {@code seed}, {@code train_size}, {@code eval_size}, {@code min_len}, {@code
 * max_len}, optional {@code quality_tags}.
 */
public final class SortTask extends GeneratedTask {
  public SortTask(ConfigReader config) {
    this(config, LetterStrings.read(config));
  }

  private SortTask(ConfigReader config, LetterStrings strings) {
    super(
        "sort",
        config,
        GeneratedSplit.draw(
            config,
            strings.multisets(),
            config.fullKey("min_len") + "/" + config.fullKey("max_len"),
            random -> {
              String text = strings.draw(random);
              String sorted = sorted(text);
              return new GeneratedSplit.Problem(sorted, text + ">", sorted);
            }),
        "sort: sort " + strings.describe() + ", prompt \"dbca>\", answer \"abcd\"");
  }

  static String sorted(String text) {
    char[] chars = text.toCharArray();
    Arrays.sort(chars);
    return new String(chars);
  }
}
