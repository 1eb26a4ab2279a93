package org.tokenrl.rollout;

import java.util.List;
import java.util.Random;

/**
 * A source of prompts with a verifier. Implementations build their examples once, from their config
 * (and seed), so {@link #train()} and {@link #heldOut()} return the same lists on every call and
 * never share a prompt.
 */
public interface Task {
  /** The registry name, e.g. {@code arith}. */
  String name();

  List<Example> train();

  /** Examples for evaluation, disjoint from {@link #train()}. */
  List<Example> heldOut();

  /** Whether {@code response} solves {@code example}. */
  boolean isCorrect(Example example, String response);

  /**
   * The answer {@code response} gives, in the form {@link #isCorrect} compares, for majority voting
   * (eval/maj@n): two responses with the same answer must get the same verdict. Null when the
   * response has no answer the verifier could read. The default is the stripped response, right for
   * tasks that judge the whole response by exact match.
   */
  default String answerOf(Example example, String response) {
    return response.strip();
  }

  /**
   * Where {@code example} was read, as {@code file:line} for error messages; null for generated
   * examples.
   */
  default String origin(Example example) {
    return null;
  }

  /** One line for logs and help: what the prompts look like and how answers are judged. */
  String description();

  /**
   * The {@code quality_tags} flag. When true, {@link Tasks#create} wraps the task in a {@link
   * QualityTaggedTask}: RL and evaluation prompts carry the good tag, and {@link #sftExamples()}
   * also teaches the bad tag with corrupted answers (for T-REG's contrastive prompting).
   */
  boolean qualityTags();

  /**
   * The supervised warm-up data (prompt, target answer). Plain tasks train on {@link #train()};
   * {@link QualityTaggedTask} adds a bad-tagged copy of each example with a wrong answer.
   */
  default List<Example> sftExamples() {
    return train();
  }

  /**
   * A plausible wrong answer to {@code example}: one that {@link #isCorrect} rejects. The default
   * changes one character or swaps two ({@link AnswerCorruption}); tasks with a better notion of a
   * near miss override it (arith answers off by a small amount).
   *
   * @param random the only source of randomness, so callers control determinism
   * @throws IllegalStateException when no wrong answer is found (e.g. the verifier accepts all)
   */
  default String corruptAnswer(Example example, Random random) {
    return AnswerCorruption.corrupt(this, example, random, AnswerCorruption::editOrSwap);
  }
}
