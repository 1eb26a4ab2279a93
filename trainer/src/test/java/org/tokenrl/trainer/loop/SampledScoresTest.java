package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.PythonRunner;

/**
 * pass@k and the majority vote against hand-worked counts and against an independent Python
 * reference (src/test/python/pass_at_k_reference.py: HumanEval's numpy estimator, exact rationals,
 * lighteval's {@code max(answers, key=answers.count)}).
 */
class SampledScoresTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void knownCounts() {
    // n = 10 samples, c = 3 correct. k = 1: c/n. k = 5: 1 - C(7,5)/C(10,5) = 1 - 21/252.
    assertEquals(0.3, SampledScores.passAtK(10, 3, 1), 1e-15);
    assertEquals(1 - 21.0 / 252.0, SampledScores.passAtK(10, 3, 5), 1e-15);
    // k = 8 > n - c = 7: every 8-subset holds a correct sample.
    assertEquals(1.0, SampledScores.passAtK(10, 3, 8));
    assertEquals(0.0, SampledScores.passAtK(10, 0, 10));
    assertEquals(1.0, SampledScores.passAtK(10, 10, 1));
    // k = n: 1 if any sample is correct
    assertEquals(1.0, SampledScores.passAtK(4, 1, 4));
    // n = 2, c = 1, k = 1: half the single draws are right
    assertEquals(0.5, SampledScores.passAtK(2, 1, 1), 1e-15);
    assertThrows(IllegalArgumentException.class, () -> SampledScores.passAtK(4, 5, 1));
    assertThrows(IllegalArgumentException.class, () -> SampledScores.passAtK(4, 2, 5));
    assertThrows(IllegalArgumentException.class, () -> SampledScores.passAtK(4, 2, 0));
  }

  @Test
  void ladderDoublesUpToN() {
    assertEquals(List.of(1), SampledScores.ladder(1));
    assertEquals(List.of(1, 2, 4, 8), SampledScores.ladder(8));
    assertEquals(List.of(1, 2, 4, 8, 10), SampledScores.ladder(10));
    assertEquals(List.of(1, 2, 3), SampledScores.ladder(3));
  }

  @Test
  void majorityTiesGoToTheAnswerSampledFirst() {
    assertEquals(1, SampledScores.majority(Arrays.asList("3", "4", "4", "3", "5", "4")));
    // 2-2 tie between "7" (first at 0) and "8": "7" wins, at its first index
    assertEquals(0, SampledScores.majority(Arrays.asList("7", "8", "8", "7")));
    // no answer votes as one answer and can win
    assertEquals(1, SampledScores.majority(Arrays.asList("1", null, null, "2")));
    assertEquals(0, SampledScores.majority(List.of("only")));
  }

  @Test
  void agreesWithThePythonReference() throws Exception {
    Random random = new Random(24);
    ObjectNode in = JSON.createObjectNode();
    ArrayNode pass = in.putArray("pass");
    List<int[]> cases = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      int n = 1 + random.nextInt(i < 300 ? 20 : 500); // up to C(500, 250) ~ 1e149
      int c = random.nextInt(n + 1);
      int k = 1 + random.nextInt(n);
      cases.add(new int[] {n, c, k});
      pass.addArray().add(n).add(c).add(k);
    }
    ArrayNode maj = in.putArray("maj");
    List<List<String>> votes = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      List<String> answers = new ArrayList<>();
      int n = 1 + random.nextInt(12);
      int distinct = 1 + random.nextInt(4); // few distinct answers: many ties
      for (int j = 0; j < n; j++) {
        int a = random.nextInt(distinct + 1);
        answers.add(a == distinct ? null : Integer.toString(a));
      }
      votes.add(answers);
      ArrayNode row = maj.addArray();
      answers.forEach(row::add);
    }
    String script = Files.readString(Path.of("src/test/python/pass_at_k_reference.py"));
    JsonNode out = JSON.readTree(PythonRunner.runWithInput(script, JSON.writeValueAsString(in)));
    for (int i = 0; i < cases.size(); i++) {
      int[] c = cases.get(i);
      double ours = SampledScores.passAtK(c[0], c[1], c[2]);
      String what = "n=" + c[0] + " c=" + c[1] + " k=" + c[2];
      assertEquals(out.get("pass").get(i).asDouble(), ours, 1e-12, what + " vs numpy");
      assertEquals(out.get("pass_exact").get(i).asDouble(), ours, 1e-12, what + " vs exact");
    }
    for (int i = 0; i < votes.size(); i++) {
      assertEquals(
          out.get("maj").get(i).asInt(), SampledScores.majority(votes.get(i)), "" + votes.get(i));
    }
  }
}
