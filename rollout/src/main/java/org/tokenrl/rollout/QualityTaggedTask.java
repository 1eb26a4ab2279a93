package org.tokenrl.rollout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A task whose prompts carry quality tags ({@code task.quality_tags = true}). Train and held-out
 * prompts, which RL and evaluation use, carry the good tag; the SFT data holds each training
 * example twice, good-tagged with the right answer and bad-tagged with a wrong one, so the model
 * learns what both tags mean and T-REG can contrast {@code good:x} with {@code bad:x}.
 *
 * <p>Ids: tagged train and held-out examples keep the inner task's ids; the bad-tagged SFT copy of
 * train example {@code k} (k-th in {@link #train()}) gets id {@code maxId + 1 + k}, above every
 * inner id. Wrong answers come from the inner task's {@link Task#corruptAnswer}, one {@link Random}
 * per example seeded from {@code task.seed} and the id, so they do not depend on order.
 */
public final class QualityTaggedTask implements Task {
  private final Task inner;
  private final QualityTags tags;
  private final List<Example> train;
  private final List<Example> heldOut;
  private final List<Example> sft;
  private final Map<Integer, Example> innerById = new HashMap<>();

  public QualityTaggedTask(Task inner, QualityTags tags, long seed) {
    this.inner = inner;
    this.tags = tags;
    this.train = tagged(inner.train());
    this.heldOut = tagged(inner.heldOut());
    int maxId = -1;
    for (List<Example> split : List.of(inner.train(), inner.heldOut())) {
      for (Example example : split) {
        innerById.put(example.id(), example);
        maxId = Math.max(maxId, example.id());
      }
    }
    List<Example> sftExamples = new ArrayList<>(train);
    List<Example> innerTrain = inner.train();
    for (int k = 0; k < innerTrain.size(); k++) {
      Example example = innerTrain.get(k);
      Random random = new Random(RowSeeds.of(seed, example.id(), 1));
      String wrong = inner.corruptAnswer(example, random);
      sftExamples.add(new Example(maxId + 1 + k, tags.bad(example.prompt()), wrong));
    }
    this.sft = List.copyOf(sftExamples);
  }

  private List<Example> tagged(List<Example> examples) {
    List<Example> out = new ArrayList<>(examples.size());
    for (Example example : examples) {
      out.add(new Example(example.id(), tags.good(example.prompt()), example.answer()));
    }
    return List.copyOf(out);
  }

  public QualityTags tags() {
    return tags;
  }

  /** The untagged task. */
  public Task inner() {
    return inner;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public String origin(Example example) {
    Example original = innerById.get(example.id());
    return original == null ? null : inner.origin(original);
  }

  @Override
  public List<Example> train() {
    return train;
  }

  @Override
  public List<Example> heldOut() {
    return heldOut;
  }

  /** Good-tagged train examples, then one bad-tagged example with a wrong answer per example. */
  @Override
  public List<Example> sftExamples() {
    return sft;
  }

  /**
   * Judges {@code response} against {@code example.answer()} with the inner verifier. A tagged
   * train or held-out example is handed over as the inner task's own example (same id); any other
   * example (a bad-tagged SFT row) with its tag stripped.
   */
  @Override
  public boolean isCorrect(Example example, String response) {
    Example original = innerById.get(example.id());
    if (original != null
        && example.prompt().equals(tags.good(original.prompt()))
        && example.answer().equals(original.answer())) {
      return inner.isCorrect(original, response);
    }
    return inner.isCorrect(
        new Example(example.id(), tags.strip(example.prompt()), example.answer()), response);
  }

  @Override
  public String answerOf(Example example, String response) {
    return inner.answerOf(
        new Example(example.id(), tags.strip(example.prompt()), example.answer()), response);
  }

  @Override
  public String corruptAnswer(Example example, Random random) {
    return inner.corruptAnswer(
        new Example(example.id(), tags.strip(example.prompt()), example.answer()), random);
  }

  @Override
  public String description() {
    return inner.description()
        + "; prompts tagged \""
        + tags.goodTag()
        + "\" (SFT also \""
        + tags.badTag()
        + "\" with wrong answers)";
  }

  @Override
  public boolean qualityTags() {
    return true;
  }
}
