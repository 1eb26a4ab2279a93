package org.tokenrl.rollout;

import java.util.List;
import org.tokenrl.core.ConfigReader;

/**
 * What the generated tasks (arith, reverse, sort) share: a name, a {@link GeneratedSplit}, the
 * {@code quality_tags} flag, a description, and exact match after trimming as the verifier.
 * Subclasses differ only in how they draw a problem and, optionally, how they corrupt an answer.
 */
abstract class GeneratedTask implements Task {
  private final String name;
  private final GeneratedSplit split;
  private final String description;
  private final boolean qualityTags;

  GeneratedTask(String name, ConfigReader config, GeneratedSplit split, String description) {
    this.name = name;
    this.split = split;
    this.description = description;
    this.qualityTags = config.bool("quality_tags", false);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final List<Example> train() {
    return split.train();
  }

  @Override
  public final List<Example> heldOut() {
    return split.heldOut();
  }

  @Override
  public boolean isCorrect(Example example, String response) {
    return response.strip().equals(example.answer());
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public final boolean qualityTags() {
    return qualityTags;
  }
}
