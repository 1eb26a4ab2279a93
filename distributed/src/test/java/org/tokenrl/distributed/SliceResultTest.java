package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Slices scored on different actors log what one batch scored in the trainer would: the extra
 * {@code reward/<component>/<key>} metrics cross the wire per row and are averaged over the rows
 * that have them, also when one slice has no value for a key.
 */
class SliceResultTest {
  @Test
  void extraMetricsRoundTripAndAverageOverTheRowsThatHaveThem() {
    Map<String, double[]> extraA = new LinkedHashMap<>();
    extraA.put("reward/python/length", new double[] {2, Double.NaN});
    SliceResult a =
        new SliceResult(new byte[] {1, 2}, Map.of("python", new double[] {1, 0}), 1, extraA);
    SliceResult b =
        new SliceResult(
            new byte[] {3},
            Map.of("python", new double[] {1, 1, 0}),
            0,
            Map.of("reward/python/other", new double[] {5, 7, Double.NaN}));
    SliceResult back = SliceResult.fromBytes(a.toBytes());
    assertArrayEquals(a.ipc(), back.ipc());
    assertEquals(1, back.errors());
    assertArrayEquals(
        extraA.get("reward/python/length"), back.extraRows().get("reward/python/length"));

    Map<String, Double> m =
        RayRolloutPool.rewardMetrics(List.of(back, SliceResult.fromBytes(b.toBytes())));
    assertEquals(3.0 / 5, m.get("reward/python_mean"), 1e-12);
    assertEquals(1.0, m.get("reward/errors"));
    assertEquals(2.0, m.get("reward/python/length"), 1e-12); // one row of five has it
    assertEquals(6.0, m.get("reward/python/other"), 1e-12); // two rows of the second slice
  }
}
