package org.tokenrl.rollout;

import java.util.List;

/**
 * A source of prompts with a verifier. Implementations build their examples once, from their
 * config (and seed), so {@link #train()} and {@link #heldOut()} return the same lists on every
 * call and never share a prompt.
 */
public interface Task {
  /** The registry name, e.g. {@code arith}. */
  String name();

  List<Example> train();

  /** Examples for evaluation, disjoint from {@link #train()}. */
  List<Example> heldOut();

  /** Whether {@code response} solves {@code example}. */
  boolean isCorrect(Example example, String response);

  /** One line for logs and help: what the prompts look like and how answers are judged. */
  String description();

  /**
   * The {@code quality_tags} flag, reserved for preference-data work: when true, examples will
   * carry a quality tag. Nothing reads it yet.
   */
  boolean qualityTags();
}
