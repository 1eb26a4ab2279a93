package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tokenrl.rollout.Example;

/** Per-token rewards through the stitching of sampling rounds, into the algorithm's batch. */
class ScoredRolloutsTest {

  /** One group of two responses, of lengths 2 and 3. */
  private static ScoredRollouts round(int id, double[] rewards, double[][] tokenRewards) {
    int[][] responses = {{1, 2}, {3, 4, 5}};
    double[][] perToken = {new double[2], new double[3]};
    return new ScoredRollouts(
        2,
        List.of(new Example(id, "p" + id, "a")),
        new int[][] {{9}, {9}},
        responses,
        perToken,
        perToken,
        new boolean[2],
        new boolean[2],
        rewards,
        tokenRewards == null ? new double[2][] : tokenRewards,
        new boolean[][] {{true, true}, {true, true, true}},
        Map.of(),
        5,
        new double[2][]);
  }

  @Test
  void noTokenRewardsGiveANullColumn() {
    ScoredRollouts s = round(0, new double[] {1, 0}, null);
    assertNull(s.tokenRewardsOrNull());
    assertNull(
        ScoredRollouts.concat(List.of(s, round(1, new double[] {0, 1}, null)))
            .tokenRewardsOrNull());
  }

  @Test
  void aRoundWithoutTokenRewardsGetsItsRewardOnTheLastToken() {
    ScoredRollouts with =
        round(0, new double[] {1, 0.5}, new double[][] {{0.25, 0.75}, {1, -1, 0.5}});
    ScoredRollouts without = round(1, new double[] {0, 2}, null);
    double[][] t = ScoredRollouts.concat(List.of(with, without)).tokenRewardsOrNull();
    assertArrayEquals(new double[] {0.25, 0.75}, t[0]);
    assertArrayEquals(new double[] {1, -1, 0.5}, t[1]);
    assertArrayEquals(new double[] {0, 0}, t[2]);
    assertArrayEquals(new double[] {0, 0, 2}, t[3]);
    double[][] kept =
        ScoredRollouts.concat(List.of(without, with))
            .keepGroups(new boolean[] {false, true}, 1)
            .tokenRewardsOrNull();
    assertArrayEquals(new double[] {1, -1, 0.5}, kept[1]);
  }
}
