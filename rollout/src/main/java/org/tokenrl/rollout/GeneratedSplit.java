package org.tokenrl.rollout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigReader;

/**
 * Train and held-out examples drawn from a seeded generator, all with distinct keys. The key is
 * what must not repeat: the prompt, or a canonical form of it when two prompts are the same problem
 * ({@code 3+4} and {@code 4+3}), so a held-out problem never appears in train in any form. Held-out
 * examples are drawn first, so the held-out set does not change with {@code train_size}.
 */
record GeneratedSplit(List<Example> train, List<Example> heldOut) {
  /** One generated problem. */
  record Problem(String key, String prompt, String answer) {}

  /**
   * Reads {@code seed}, {@code train_size} and {@code eval_size} and draws that many problems.
   *
   * @param spaceSize how many distinct keys the generator can produce with these settings
   * @param widen which settings to change when the space is too small, for the error message
   */
  static GeneratedSplit draw(
      ConfigReader config, double spaceSize, String widen, Function<Random, Problem> generator) {
    long seed = config.integer("seed");
    int trainSize = config.positiveInt("train_size");
    int evalSize = config.nonNegativeInt("eval_size");
    long total = (long) trainSize + evalSize;
    if (total > spaceSize) {
      throw new ConfigException(
          "config error: "
              + config.fullKey("train_size")
              + " + "
              + config.fullKey("eval_size")
              + " = "
              + total
              + " but these settings allow only "
              + (long) spaceSize
              + " distinct problems; lower the sizes or widen "
              + widen);
    }
    Random random = new Random(seed);
    Set<String> seen = new HashSet<>();
    List<Problem> problems = new ArrayList<>();
    // Generous for rejection sampling even when nearly the whole space is asked for.
    long maxAttempts = 100 * total + 100_000;
    for (long attempt = 0; problems.size() < total; attempt++) {
      if (attempt == maxAttempts) {
        throw new ConfigException(
            "config error: drew only "
                + problems.size()
                + " distinct problems of the "
                + total
                + " asked for ("
                + (long) spaceSize
                + " exist); lower "
                + config.fullKey("train_size")
                + "/"
                + config.fullKey("eval_size")
                + " or widen "
                + widen);
      }
      Problem problem = generator.apply(random);
      if (seen.add(problem.key())) {
        problems.add(problem);
      }
    }
    List<Example> heldOut = new ArrayList<>();
    List<Example> train = new ArrayList<>();
    for (int i = 0; i < evalSize; i++) {
      heldOut.add(example(trainSize + i, problems.get(i)));
    }
    for (int i = 0; i < trainSize; i++) {
      train.add(example(i, problems.get(evalSize + i)));
    }
    return new GeneratedSplit(List.copyOf(train), List.copyOf(heldOut));
  }

  private static Example example(int id, Problem problem) {
    return new Example(id, problem.prompt(), problem.answer());
  }
}
