package org.tokenrl.rollout;

import java.util.Arrays;
import java.util.List;
import org.tokenrl.core.ConfigReader;

/**
 * Sort the letters of a lowercase string: prompt {@code dbca>}, answer {@code abcd}. Strings with
 * the same letters are one problem (they share the answer), so held-out answers never appear in
 * train.
 *
 * <p>Config keys: {@code seed}, {@code train_size}, {@code eval_size}, {@code min_len}, {@code
 * max_len}, optional {@code quality_tags}.
 */
public final class SortTask implements Task {
  private final LetterStrings strings;
  private final boolean qualityTags;
  private final GeneratedSplit split;

  public SortTask(ConfigReader config) {
    this.strings = LetterStrings.read(config);
    this.qualityTags = config.bool("quality_tags", false);
    this.split =
        GeneratedSplit.draw(
            config,
            strings.multisets(),
            config.fullKey("min_len") + "/" + config.fullKey("max_len"),
            random -> {
              String text = strings.draw(random);
              String sorted = sorted(text);
              return new GeneratedSplit.Problem(sorted, text + ">", sorted);
            });
  }

  static String sorted(String text) {
    char[] chars = text.toCharArray();
    Arrays.sort(chars);
    return new String(chars);
  }

  @Override
  public String name() {
    return "sort";
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
    return "sort: sort " + strings.describe() + ", prompt \"dbca>\", answer \"abcd\"";
  }

  @Override
  public boolean qualityTags() {
    return qualityTags;
  }
}
