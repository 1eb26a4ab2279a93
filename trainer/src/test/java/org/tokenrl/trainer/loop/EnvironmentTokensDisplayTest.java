package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.RlBatch;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.core.CharTokenizer;

/**
 * TensorBoard's rollout table shows a multi-turn rollout's environment tokens apart, uncredited.
 */
class EnvironmentTokensDisplayTest {
  @Test
  void environmentTokensAreOneGreyPieceWithoutAdvantage() {
    CharTokenizer tok = CharTokenizer.ascii();
    int[] call = tok.encode("c");
    int[] result = tok.encode("=6");
    int[] answer = tok.encode("6");
    int[] row = {call[0], result[0], result[1], answer[0]};
    boolean[] mask = {true, false, false, true};
    int[][] responses = {row, tok.encode("xy")};
    boolean[][] masks = {mask, {true, true}};
    RlBatch batch = RlBatch.of(new double[] {1, 0}, responses, 2).withLossMask(masks);
    TokenCredit credit = Algorithms.create("name = grpo").credit(batch);
    String md =
        new SampleTable(2, 0, 80, 32)
            .rollouts(
                List.of("p", "p"),
                responses,
                new double[] {1, 0},
                credit,
                tok,
                new boolean[] {true, true},
                new boolean[] {false, false},
                masks);
    String first = md.split("\n")[2];
    assertTrue(first.contains("c:+0.71 ⟦env: =6⟧ 6:+0.71"), first);
    assertEquals(0.0, credit.advantages()[0][1]);
  }
}
