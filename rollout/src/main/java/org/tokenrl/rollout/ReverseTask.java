package org.tokenrl.rollout;

import java.util.List;
import org.tokenrl.core.ConfigReader;

/**
 * Reverse a lowercase string: prompt {@code abc>}, answer {@code cba}.
 *
 * <p>Config keys: {@code seed}, {@code train_size}, {@code eval_size}, {@code min_len}, {@code
 * max_len}, optional {@code quality_tags}.
 */
public final class ReverseTask implements Task {
  private final LetterStrings strings;
  private final boolean qualityTags;
  private final GeneratedSplit split;

  public ReverseTask(ConfigReader config) {
    this.strings = LetterStrings.read(config);
    this.qualityTags = config.bool("quality_tags", false);
    this.split =
        GeneratedSplit.draw(
            config,
            strings.strings(),
            config.fullKey("min_len") + "/" + config.fullKey("max_len"),
            random -> {
              String text = strings.draw(random);
              String reversed = new StringBuilder(text).reverse().toString();
              return new GeneratedSplit.Problem(text, text + ">", reversed);
            });
  }

  @Override
  public String name() {
    return "reverse";
  }

  @Override
  public List<Example> train() {
    return split.train();
  }

  @Override
  public List<Example> heldOut() {
    return split.heldOut();
  }

  @Override
  public boolean isCorrect(Example example, String response) {
    return response.strip().equals(example.answer());
  }

  @Override
  public String description() {
    return "reverse: reverse " + strings.describe() + ", prompt \"abc>\", answer \"cba\"";
  }

  @Override
  public boolean qualityTags() {
    return qualityTags;
  }
}
