package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tokenrl.rollout.PreferencePairing.Pair;

class PreferencePairingTest {
  private static int[] ids(int... values) {
    return values;
  }

  @Test
  void onPolicyPairsDistinctResponsesMostFrequentFirst() {
    // 0:A(ok) 1:X(bad) 2:B(ok) 3:B(ok) 4:Y(bad) 5:Y(bad) 6:Y(bad) 7:Z(bad) 8:A(ok) 9:B(ok)
    List<int[]> responses =
        List.of(ids(1), ids(9), ids(2), ids(2), ids(8), ids(8), ids(8), ids(7), ids(1), ids(2));
    boolean[] correct = {true, false, true, true, false, false, false, false, true, true};
    // Correct groups: B (x3, first at 2), A (x2, first at 0). Incorrect: Y (x3, at 4), X (1), Z
    // (7).
    assertEquals(
        List.of(new Pair(2, 4), new Pair(0, 1), new Pair(2, 7)),
        PreferencePairing.onPolicy(responses, correct, 8));
    assertEquals(
        List.of(new Pair(2, 4), new Pair(0, 1)), PreferencePairing.onPolicy(responses, correct, 2));
    assertEquals(List.of(new Pair(2, 4)), PreferencePairing.onPolicy(responses, correct, 1));
  }

  @Test
  void onPolicyNeedsBothSidesAndChecksInputs() {
    List<int[]> same = List.of(ids(1, 2), ids(1, 2), ids(3));
    assertEquals(List.of(), PreferencePairing.onPolicy(same, new boolean[] {true, true, true}, 4));
    assertEquals(
        List.of(), PreferencePairing.onPolicy(same, new boolean[] {false, false, false}, 4));
    assertEquals(List.of(), PreferencePairing.onPolicy(List.of(), new boolean[0], 4));
    // Ties broken by first occurrence; identical sequences count once.
    assertEquals(
        List.of(new Pair(2, 0)),
        PreferencePairing.onPolicy(same, new boolean[] {false, false, true}, 4));
    assertThrows(
        IllegalArgumentException.class, () -> PreferencePairing.onPolicy(same, new boolean[2], 1));
    assertThrows(
        IllegalArgumentException.class, () -> PreferencePairing.onPolicy(same, new boolean[3], 0));
  }

  @Test
  void onPolicyPairsAreDistinctAndValid() {
    Random random = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + random.nextInt(12);
      List<int[]> responses = new ArrayList<>();
      boolean[] correct = new boolean[n];
      for (int i = 0; i < n; i++) {
        int token = random.nextInt(5);
        responses.add(ids(token, token));
        correct[i] = token < 2; // a verifier is a function of the response
      }
      List<Pair> pairs = PreferencePairing.onPolicy(responses, correct, 1 + random.nextInt(6));
      Set<String> distinct = new HashSet<>();
      for (Pair p : pairs) {
        assertTrue(correct[p.chosen()] && !correct[p.rejected()]);
        assertTrue(
            distinct.add(
                Arrays.toString(responses.get(p.chosen()))
                    + Arrays.toString(responses.get(p.rejected()))));
      }
    }
  }

  @Test
  void negativeExamplesPaperExample() {
    // a x3, b x2, c..g x1: a and b cover 5 of 10 incorrect samples = 50 %.
    List<String> answers = List.of("c", "a", "b", "a", "d", "e", "b", "f", "a", "g");
    assertEquals(List.of(1, 2), PreferencePairing.negativeExamples(answers, 0.5));
    assertEquals(
        List.of(1, 2),
        PreferencePairing.negativeExamples(answers, PreferencePairing.CDPO_NEGATIVE_COVERAGE));
    assertEquals(List.of(1), PreferencePairing.negativeExamples(answers, 0.3));
    assertEquals(List.of(1, 2, 0), PreferencePairing.negativeExamples(answers, 0.51));
    assertEquals(List.of(1, 2, 0, 4, 5, 7, 9), PreferencePairing.negativeExamples(answers, 1.0));
    assertEquals(List.of(), PreferencePairing.negativeExamples(List.of(), 0.5));
    assertThrows(
        IllegalArgumentException.class, () -> PreferencePairing.negativeExamples(answers, 0));
    assertThrows(
        IllegalArgumentException.class, () -> PreferencePairing.negativeExamples(answers, 1.5));
  }

  @Test
  void positiveExampleIsUniformOverCorrectSamples() {
    boolean[] correct = {false, true, false, true, true};
    int[] counts = new int[5];
    Random random = new Random(11);
    for (int i = 0; i < 3000; i++) {
      counts[PreferencePairing.positiveExample(correct, random).getAsInt()]++;
    }
    assertEquals(0, counts[0] + counts[2]);
    for (int i : new int[] {1, 3, 4}) {
      assertTrue(Math.abs(counts[i] - 1000) < 120, Arrays.toString(counts));
    }
    assertEquals(OptionalInt.empty(), PreferencePairing.positiveExample(new boolean[3], random));
    assertEquals(
        PreferencePairing.positiveExample(correct, new Random(4)),
        PreferencePairing.positiveExample(correct, new Random(4)));
  }

  @Test
  void cdpoPairWalksAnswerGroupsByFrequency() {
    // Groups: "7" x3 (wrong, first at 1), "12" x2 (right, first at 2), "5" x1 (wrong, at 0).
    List<String> answers = List.of("5", "7", "12", "7", "12", "7");
    boolean[] correct = {false, false, true, false, true, false};
    assertEquals(Optional.of(new Pair(2, 1)), PreferencePairing.cdpoPair(answers, correct));
    // Tie between "12" and "7" (2 each): first occurrence decides, so "12" is walked first.
    List<String> tie = List.of("12", "7", "7", "12", "5");
    boolean[] tieCorrect = {true, false, false, true, false};
    assertEquals(Optional.of(new Pair(0, 1)), PreferencePairing.cdpoPair(tie, tieCorrect));
    assertEquals(
        Optional.empty(),
        PreferencePairing.cdpoPair(List.of("1", "1"), new boolean[] {true, true}));
    assertEquals(Optional.empty(), PreferencePairing.cdpoPair(List.of("1", "2"), new boolean[2]));
    assertThrows(
        IllegalArgumentException.class,
        () -> PreferencePairing.cdpoPair(List.of("1"), new boolean[2]));
  }
}
