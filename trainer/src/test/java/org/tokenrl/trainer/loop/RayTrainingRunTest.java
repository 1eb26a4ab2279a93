package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart's SFT warm-up plus 3 GRPO steps (task + BLEU reward, so every step updates) with
 * rollouts on a real local Ray cluster (2 actors, head started and stopped by the run). The trainer
 * reaches the Ray pool only through {@code distributed.backend = ray}; the distributed module is a
 * test-scoped dependency.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RayTrainingRunTest {
  @TempDir Path tmp;

  @Test
  void threeStepsOnRaySampleWhatTheLocalPoolSamples() throws IOException {
    Path ray =
        TrainingRunTest.train(
            tmp.resolve("ray"),
            Long.MAX_VALUE,
            "distributed.backend=ray",
            "distributed.ray.actors=2");
    Path local = TrainingRunTest.train(tmp.resolve("local"), Long.MAX_VALUE);
    TrainingRunTest.assertRlStepsUpdated(ray);
    TrainingRunTest.assertRlStepsUpdated(local);
    String log = Files.readString(ray.resolve("train.log"));
    assertTrue(log.contains("rollouts: Ray, 2 actors at a local head on "), log);
    ObjectMapper json = new ObjectMapper();
    List<String> rayLines = Files.readAllLines(ray.resolve("metrics.jsonl"));
    List<String> localLines = Files.readAllLines(local.resolve("metrics.jsonl"));
    assertEquals(6, rayLines.size(), "3 SFT + 3 GRPO steps");
    assertEquals(localLines.size(), rayLines.size());
    for (int i = 3; i < 6; i++) {
      JsonNode r = json.readTree(rayLines.get(i));
      JsonNode l = json.readTree(localLines.get(i));
      assertEquals(0.0, r.get("distributed/actor_restarts").asDouble());
      assertEquals(0.0, r.get("distributed/weight_staleness").asDouble());
      // Same seeds and weights: the same tokens, so the same rewards and lengths.
      for (String key : List.of("train/reward_mean", "train/accuracy", "completions/mean_length")) {
        assertEquals(l.get(key).asDouble(), r.get(key).asDouble(), 1e-12, key + " at line " + i);
      }
      assertTrue(l.has("actor/loss") && r.has("actor/loss"), "both runs updated at line " + i);
      assertEquals(l.get("actor/loss").asDouble(), r.get("actor/loss").asDouble(), 1e-4);
    }
  }

  /**
   * distributed.rewards_on = actors: the actors' rewards drive the same run as the trainer's. BLEU
   * only, on reverse, so the actors compute every reward component there is.
   */
  @Test
  void rewardsComputedOnTheActorsEqualTheTrainers() throws IOException {
    String[] bleu = {
      "defaults.task=reverse", "rewards=[{name=bleu, weight=1.0, smoothing=method1}]"
    };
    Path actors =
        TrainingRunTest.train(
            tmp.resolve("actors"),
            Long.MAX_VALUE,
            concat(
                bleu,
                "distributed.backend=ray",
                "distributed.rewards_on=actors",
                "distributed.ray.actors=2"));
    Path local = TrainingRunTest.train(tmp.resolve("local"), Long.MAX_VALUE, bleu);
    TrainingRunTest.assertRlStepsUpdated(actors);
    ObjectMapper json = new ObjectMapper();
    List<String> actorLines = Files.readAllLines(actors.resolve("metrics.jsonl"));
    List<String> localLines = Files.readAllLines(local.resolve("metrics.jsonl"));
    assertEquals(6, actorLines.size(), "3 SFT + 3 GRPO steps");
    double rewardSum = 0;
    for (int i = 3; i < 6; i++) {
      JsonNode a = json.readTree(actorLines.get(i));
      JsonNode l = json.readTree(localLines.get(i));
      for (String key :
          List.of(
              "train/reward_mean",
              "train/reward_std", // (reward/bleu_mean, the one weight-1 component, is this mean)
              "reward/errors",
              "train/accuracy")) {
        assertEquals(l.get(key).asDouble(), a.get(key).asDouble(), 1e-12, key + " at line " + i);
      }
      assertTrue(l.has("actor/loss") && a.has("actor/loss"), "both runs updated at line " + i);
      assertEquals(l.get("actor/loss").asDouble(), a.get("actor/loss").asDouble(), 1e-4);
      rewardSum += a.get("train/reward_mean").asDouble();
    }
    assertTrue(rewardSum > 0, "BLEU rewards are not all 0");
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
