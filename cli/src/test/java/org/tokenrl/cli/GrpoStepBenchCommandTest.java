package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.ProjectRoot;

/**
 * {@code ./tokenrl bench grpo-step} end to end on the quickstart's tiny random model (the SmolLM2
 * default is for real measurements): a child JVM trains two steps and the command reports the
 * step's timers and the child's peak RSS.
 */
class GrpoStepBenchCommandTest {
  @Test
  void timesTwoStepsOfATinyModelInAChildJvm() throws Exception {
    CliRun run =
        CliRun.of(
            "bench",
            "grpo-step",
            "--config",
            ProjectRoot.get().resolve("configs/quickstart.conf").toString(),
            "--steps",
            "2",
            "--threads",
            "1",
            "--json",
            "trainer.prompts_per_step=2",
            "trainer.group_size=4");
    assertEquals(0, run.code(), run.err() + run.out());
    assertEquals(1, run.lines().size(), run.out());
    JsonNode r = new ObjectMapper().readTree(run.lines().get(0));
    assertEquals(1, r.path("threads").asInt());
    assertEquals(1, r.path("timed_steps").asInt(), "step 1 is the warm-up, step 2 is timed");
    assertTrue(r.path("step_seconds").asDouble() > 0, run.out());
    // a random model's groups may all score the same, so the update may be skipped: >= 0
    assertTrue(r.path("update_seconds").asDouble() >= 0, run.out());
    assertTrue(r.path("step_seconds").asDouble() >= r.path("update_seconds").asDouble());
    assertTrue(r.path("sampling_tokens_per_sec").asDouble() > 0, run.out());
    // a JVM with ND4J loaded holds well over 50 MB and, for this model, far less than 8 GB
    double rss = r.path("peak_rss_mb").asDouble();
    assertTrue(rss > 50 && rss < 8192, "peak RSS " + rss + " MB");
  }

  @Test
  void badOptionsAreOneLineAndExitTwo() {
    CliRun run = CliRun.of("bench", "grpo-step", "--threads", "0");
    assertEquals(2, run.code());
    assertTrue(run.err().contains("--threads"), run.err());
    CliRun steps = CliRun.of("bench", "grpo-step", "--steps", "2", "--warmup", "2");
    assertEquals(2, steps.code());
    assertTrue(steps.err().contains("--warmup"), steps.err());
  }
}
