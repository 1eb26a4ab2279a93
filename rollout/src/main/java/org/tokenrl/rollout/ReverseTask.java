package org.tokenrl.rollout;

import org.tokenrl.core.ConfigReader;

/**
 * Reverse a lowercase string: prompt {@code abc>}, answer {@code cba}.
 *
 * <p>Config keys: {@code seed}, {@code train_size}, {@code eval_size}, {@code min_len}, {@code
 * max_len}, optional {@code quality_tags}.
 */
public final class ReverseTask extends GeneratedTask {
  public ReverseTask(ConfigReader config) {
    this(config, LetterStrings.read(config));
  }

  private ReverseTask(ConfigReader config, LetterStrings strings) {
    super(
        "reverse",
        config,
        GeneratedSplit.draw(
            config,
            strings.strings(),
            config.fullKey("min_len") + "/" + config.fullKey("max_len"),
            random -> {
              String text = strings.draw(random);
              String reversed = new StringBuilder(text).reverse().toString();
              return new GeneratedSplit.Problem(text, text + ">", reversed);
            }),
        "reverse: reverse " + strings.describe() + ", prompt \"abc>\", answer \"cba\"");
  }
}
