package org.tokenrl.runlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run logged before a metric rename reads under today's names (docs/metrics.md). */
class RunRecordTest {
  @TempDir Path dir;

  @Test
  void anOldRunsRenamedMetricsReadUnderTheirNewNames() throws Exception {
    Files.writeString(dir.resolve("config.conf"), "run { seed = 1 }\n");
    Files.writeString(
        dir.resolve("metrics.jsonl"),
        // Written before 2026-12-07: the mean reward under three names, no train/reward_mean in
        // the second line.
        "{\"step\":1,\"train/reward_mean\":0.25,\"reward/total_mean\":0.25,"
            + "\"credit/reward_mean\":0.25}\n"
            + "{\"step\":2,\"reward/total_mean\":0.5,\"eval/accuracy\":0.75}\n");
    RunRecord run = RunRecord.load(dir);
    Map<String, Double> first = run.rows().get(0);
    Map<String, Double> second = run.rows().get(1);
    assertEquals(0.25, first.get("train/reward_mean"));
    assertFalse(first.containsKey("reward/total_mean"));
    assertFalse(first.containsKey("credit/reward_mean"));
    assertEquals(0.5, second.get("train/reward_mean"));
    assertEquals(0.75, second.get("eval/accuracy"));
  }
}
