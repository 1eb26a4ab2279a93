package org.tokenrl.rollout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * Choosing preference pairs and SFT trajectories among the responses sampled for one prompt. Pure
 * functions over indices into the sample list: no model, no tokenizer.
 *
 * <p>"Groups" are identical responses (token sequences, or final answers for cDPO), ordered by
 * decreasing size, ties broken by first occurrence; a group is represented by its first sample.
 */
public final class PreferencePairing {
  /** A pair of sample indices: {@code chosen} is preferred over {@code rejected}. */
  public record Pair(int chosen, int rejected) {}

  /**
   * cDPO's coverage of incorrect samples for the negative model's SFT set (docs/preference.md §4.1
   * step 2).
   */
  public static final double CDPO_NEGATIVE_COVERAGE = 0.5;

  private PreferencePairing() {}

  /**
   * On-policy pairs for one prompt: distinct correct responses against distinct incorrect ones
   * (identical token sequences count once). Both lists are ordered most frequent first, and pair
   * {@code k} joins correct {@code k mod C} with incorrect {@code k mod I} for {@code k <
   * min(pairsPerPrompt, max(C, I))}: each pair is distinct, every distinct response is used before
   * any repeats, and the scarcer side is reused [choice]. No pair when either side is empty.
   *
   * @param responses sampled response token ids
   * @param correct the verifier's verdict per response
   */
  public static List<Pair> onPolicy(List<int[]> responses, boolean[] correct, int pairsPerPrompt) {
    checkSameSize(responses.size(), correct.length, "responses", "correctness flags");
    if (pairsPerPrompt < 1) {
      throw new IllegalArgumentException("pairsPerPrompt must be >= 1, got " + pairsPerPrompt);
    }
    List<Integer> good = new ArrayList<>();
    List<Integer> bad = new ArrayList<>();
    IntFunction<Object> key = i -> new Key(responses.get(i), correct[i]);
    for (List<Integer> group : groups(responses.size(), key)) {
      int first = group.get(0);
      (correct[first] ? good : bad).add(first);
    }
    if (good.isEmpty() || bad.isEmpty()) {
      return List.of();
    }
    int count = Math.min(pairsPerPrompt, Math.max(good.size(), bad.size()));
    List<Pair> pairs = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      pairs.add(new Pair(good.get(k % good.size()), bad.get(k % bad.size())));
    }
    return pairs;
  }

  /**
   * cDPO's positive-model SFT sample: one correct response picked uniformly with {@code random}
   * (docs/preference.md §4.1 step 2), or empty when none is correct.
   */
  public static OptionalInt positiveExample(boolean[] correct, Random random) {
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < correct.length; i++) {
      if (correct[i]) {
        indices.add(i);
      }
    }
    return indices.isEmpty()
        ? OptionalInt.empty()
        : OptionalInt.of(indices.get(random.nextInt(indices.size())));
  }

  /**
   * cDPO's negative-model SFT samples (docs/preference.md §4.1 step 2): group the incorrect samples
   * by final answer, most frequent first, and take the first sample of each group until the taken
   * groups hold at least {@code coverage} of all incorrect samples. The paper's example: answers
   * a×3, b×2, c..g×1 with coverage 0.5 take a and b (5 of 10).
   *
   * @param incorrectAnswers the final answers of the incorrect samples only
   * @return indices into {@code incorrectAnswers}
   */
  public static List<Integer> negativeExamples(List<String> incorrectAnswers, double coverage) {
    if (!(coverage > 0 && coverage <= 1)) {
      throw new IllegalArgumentException("coverage must be in (0, 1], got " + coverage);
    }
    int total = incorrectAnswers.size();
    List<Integer> taken = new ArrayList<>();
    int covered = 0;
    for (List<Integer> group : groups(total, incorrectAnswers::get)) {
      if (covered >= coverage * total) {
        break;
      }
      taken.add(group.get(0));
      covered += group.size();
    }
    return taken;
  }

  /**
   * cDPO's preference pair for one question (docs/preference.md §4.1 step 3): walk the answer
   * groups of all samples in order of decreasing frequency; the first correct sample met becomes
   * chosen, the first incorrect one rejected. Empty unless there is at least one of each.
   *
   * @param finalAnswers the final answer of every sample
   * @param correct the verdict of every sample
   */
  public static Optional<Pair> cdpoPair(List<String> finalAnswers, boolean[] correct) {
    checkSameSize(finalAnswers.size(), correct.length, "final answers", "correctness flags");
    int chosen = -1;
    int rejected = -1;
    for (List<Integer> group : groups(finalAnswers.size(), finalAnswers::get)) {
      for (int i : group) {
        if (correct[i] && chosen < 0) {
          chosen = i;
        } else if (!correct[i] && rejected < 0) {
          rejected = i;
        }
      }
    }
    return chosen >= 0 && rejected >= 0
        ? Optional.of(new Pair(chosen, rejected))
        : Optional.empty();
  }

  /**
   * Indices 0..n-1 grouped by equal keys, each group in index order, groups by decreasing size then
   * first occurrence.
   */
  private static List<List<Integer>> groups(int n, IntFunction<Object> key) {
    Map<Object, List<Integer>> byKey = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      byKey.computeIfAbsent(key.apply(i), k -> new ArrayList<>()).add(i);
    }
    List<List<Integer>> out = new ArrayList<>(byKey.values()); // first-occurrence order
    out.sort(Comparator.comparingInt(group -> -group.size())); // stable: keeps ties in order
    return out;
  }

  /** A response with value equality, for grouping identical token sequences (and verdicts). */
  private record Key(int[] ids, boolean correct) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Key k && correct == k.correct && Arrays.equals(ids, k.ids);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(ids) + Boolean.hashCode(correct);
    }
  }

  private static void checkSameSize(int a, int b, String aName, String bName) {
    if (a != b) {
      throw new IllegalArgumentException(
          "need one entry per sample: " + a + " " + aName + " but " + b + " " + bName);
    }
  }
}
