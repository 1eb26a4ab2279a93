package org.tokenrl.trainer.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.AlgorithmKind;
import org.tokenrl.algorithms.rl.DynamicSampling;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.model.PassLayout;
import org.tokenrl.runlog.Hyperparameters;

/** The config read into records: values, derived sizes, the checks the parse makes. */
class RunSpecTest {
  private static final Path ROOT = ProjectRoot.get();

  private static Config quickstart(String... overrides) {
    return ConfigLoader.load(
            ROOT.resolve("configs"), ROOT.resolve("configs/quickstart.conf"), List.of(overrides))
        .config();
  }

  @Test
  void theQuickstartReadsIntoItsBlocks() {
    RunSpec spec = RunSpec.from(quickstart());
    assertEquals(1000, spec.sft().steps());
    assertEquals(300, spec.trainer().steps());
    assertEquals(1300, spec.totalSteps());
    assertEquals("cosine", spec.trainer().lrSchedule());
    assertEquals(DynamicSampling.Mode.DROP, spec.trainer().dynamicSampling());
    assertEquals(AlgorithmKind.RL, spec.kind());
    assertEquals("model.max_seq_len", spec.model().contextKey());
    assertNotNull(spec.model().gpt());
    assertNull(spec.model().llama());
    assertFalse(spec.run().initialised());
  }

  @Test
  void checkpointsFollowCheckpointEveryAndTheLastStep() {
    RunSpec spec = RunSpec.from(quickstart("trainer.checkpoint_every=50"));
    assertTrue(spec.checkpoint().at(50, 1300));
    assertFalse(spec.checkpoint().at(51, 1300));
    assertTrue(spec.checkpoint().at(1300, 1300));
    // main-phase step 50 is global step 1050, a multiple of 50; step 1 is global 1001
    assertTrue(spec.checkpointAfterMainStep(50));
    assertFalse(spec.checkpointAfterMainStep(1));
    assertTrue(spec.checkpointAfterMainStep(300));
    RunSpec endOnly = RunSpec.from(quickstart("trainer.checkpoint_every=0"));
    assertFalse(endOnly.checkpointAfterMainStep(50));
    assertTrue(endOnly.checkpointAfterMainStep(300));
  }

  @Test
  void theParseIsTheRangeCheck() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> RunSpec.from(quickstart("trainer.steps=-1")));
    assertTrue(
        e.getMessage().startsWith("config error: trainer.steps must be >= 0"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> RunSpec.from(quickstart("model.lora.rank=4", "model.lora.targets=[]")));
    assertEquals("config error: 'model.lora.targets' is empty", e.getMessage());
  }

  @Test
  void passLayoutDefaultsToSharedPrefixAndNamesTheKeyWhenWrong() {
    assertEquals(PassLayout.SHARED_PREFIX, RunSpec.from(quickstart()).trainer().passLayout());
    assertEquals(
        PassLayout.PADDED,
        RunSpec.from(quickstart("trainer.pass_layout=padded")).trainer().passLayout());
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> RunSpec.from(quickstart("trainer.pass_layout=shared")));
    assertEquals(
        "config error: trainer.pass_layout must be shared_prefix, packed or padded, got 'shared'",
        e.getMessage());
  }

  @Test
  void startChecksBuildTheAlgorithmOfTheRunsKindOnce() {
    RunStart rl = StartChecks.run(quickstart(), ROOT);
    assertNotNull(rl.rl());
    assertNotNull(rl.rewards());
    assertNull(rl.preference());
    assertNull(rl.supervised());
    RunStart sft = StartChecks.run(quickstart("algorithm=sft"), ROOT);
    assertNotNull(sft.supervised());
    assertNull(sft.rl());
    assertNull(sft.rewards());
  }

  @Test
  void everyRunWritesTheSameHparamColumnsWithItsOwnValues() {
    Hyperparameters grpo = RunSpec.hyperparameters(quickstart());
    Hyperparameters tempo = RunSpec.hyperparameters(quickstart("algorithm=tempo"));
    assertEquals(grpo.columns(), tempo.columns());
    assertEquals(RunSpec.HPARAMS, grpo.columns().subList(0, RunSpec.HPARAMS.size()));
    assertEquals("grpo", grpo.values().get("algorithm.name"));
    assertEquals(300.0, grpo.values().get("trainer.steps"));
    assertFalse(grpo.values().containsKey("algorithm.td_weight"));
    assertEquals(1.0, tempo.values().get("algorithm.td_weight"));
  }
}
