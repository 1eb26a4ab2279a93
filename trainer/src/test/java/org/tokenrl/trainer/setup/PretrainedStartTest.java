package org.tokenrl.trainer.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.io.PretrainedModel;
import org.tokenrl.trainer.loop.TrainingRunTest;

/** model.path: the files give the shape; model keys a config sets must agree with them. */
class PretrainedStartTest {
  private static final Path ROOT = TrainingRunTest.ROOT;

  private static Config load(String... overrides) {
    return ConfigLoader.load(
            ROOT.resolve("configs"), ROOT.resolve("configs/quickstart.conf"), List.of(overrides))
        .config();
  }

  @Test
  void keysLeftAtTheirDefaultsOrMatchingTheFilesAreAccepted() {
    LlamaConfig smol = LlamaConfig.smollm2135m();
    PretrainedStart.checkAgreement(load(), smol, "smollm2-135m-instruct");
    PretrainedStart.checkAgreement(load("model=llama-135m"), smol, "smollm2-135m-instruct");
    PretrainedStart.checkAgreement(load("model.head_dim=0"), smol, "smollm2-135m-instruct");
  }

  @Test
  void aDisagreementNamesTheKeyAndBothValues() {
    LlamaConfig smol = LlamaConfig.smollm2135m();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PretrainedStart.checkAgreement(load("model.hidden_size=512"), smol, "smol"));
    assertTrue(
        e.getMessage().startsWith("model.hidden_size = 512 (")
            && e.getMessage().contains("hidden_size = 576 of model.path = smol"),
        e.getMessage());
    IllegalArgumentException arch =
        assertThrows(
            IllegalArgumentException.class,
            () -> PretrainedStart.checkAgreement(load("model.arch=gpt"), smol, "smol"));
    assertTrue(arch.getMessage().contains("model.arch = gpt"), arch.getMessage());
  }

  @Test
  void modelPathLoadsTheRealModelAndRefusesACheckpoint() throws Exception {
    PretrainedModel m =
        PretrainedStart.load(load("model.path=smollm2-135m-instruct"), ROOT, line -> {});
    assertEquals(LlamaConfig.smollm2135m(), m.config());
    assertEquals(2, m.tokenizer().eos());
    Path ckpt = java.nio.file.Files.createTempDirectory("ckpt");
    java.nio.file.Files.writeString(ckpt.resolve("model.json"), "{}");
    java.nio.file.Files.writeString(ckpt.resolve("trainer_state.json"), "{}");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PretrainedStart.load(load("model.path=" + ckpt), ROOT, line -> {}));
    assertTrue(e.getMessage().startsWith("model.path = " + ckpt), e.getMessage());
    assertTrue(e.getMessage().contains("run.init_from"), e.getMessage());
  }
}
