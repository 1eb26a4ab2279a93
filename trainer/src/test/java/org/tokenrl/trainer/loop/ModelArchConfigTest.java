package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.ResolvedConfig;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.trainer.setup.RunSpec;

/** model.arch and the llama keys: config to ModelSpec, one-line errors, and a short llama run. */
class ModelArchConfigTest {
  private static final Path ROOT = TrainingRunTest.ROOT;

  private static ResolvedConfig load(String... overrides) {
    return ConfigLoader.load(
        ROOT.resolve("configs"), ROOT.resolve("configs/quickstart.conf"), List.of(overrides));
  }

  private static ModelSpec spec(String... overrides) {
    return RunSpec.Model.from(load(overrides).config()).spec(CharTokenizer.ascii());
  }

  @Test
  void gptStaysTheDefaultAndTheLlamaGroupIsSmolLm2Shaped() {
    assertTrue(spec() instanceof GptConfig);
    assertEquals(LlamaConfig.smollm2135m(), spec("model=llama-135m"));
    LlamaConfig qwenLike =
        (LlamaConfig)
            spec(
                "model=llama-135m",
                "model.attention_bias=true",
                "model.head_dim=0",
                "model.tie_word_embeddings=false");
    assertTrue(qwenLike.attentionBias());
    assertEquals(64, qwenLike.headDim());
    assertFalse(qwenLike.tieWordEmbeddings());
  }

  @Test
  void badLlamaValuesAreOneLineErrorsNamingTheKey() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> spec("model=llama-135m", "model.num_key_value_heads=4"));
    assertTrue(e.getMessage().contains("model.num_key_value_heads"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> spec("model.arch=mamba"));
    assertTrue(e.getMessage().contains("model.arch"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> spec("model=llama-135m", "model.vocab_size=50"));
    assertTrue(e.getMessage().contains("model.vocab_size"), e.getMessage());
  }

  @Test
  void llamaTrainsAndSamplesWithARealSizeVocabulary(@TempDir Path runDir) throws Exception {
    List<String> o =
        new ArrayList<>(
            List.of(
                "model=llama-135m",
                "model.hidden_size=32",
                "model.intermediate_size=64",
                "model.num_hidden_layers=1",
                "model.num_attention_heads=4",
                "model.num_key_value_heads=2",
                "model.head_dim=8",
                "model.max_position_embeddings=64",
                "sft.steps=3",
                "sft.batch_size=8",
                "trainer.steps=2",
                "trainer.prompts_per_step=4",
                "trainer.group_size=4",
                "trainer.eval_every=2",
                "trainer.eval_size=8",
                "trainer.checkpoint_every=2",
                "trainer.run_dir=\"" + runDir + "\""));
    ResolvedConfig cfg = load(o.toArray(String[]::new));
    RunDirectory dir = RunDirectory.createNew(runDir.toString(), "llama");
    Files.writeString(dir.config(), cfg.render());
    new TrainingRun(cfg.config(), dir, ROOT).run(false);
    List<String> metrics = Files.readAllLines(dir.metrics());
    assertEquals(5, metrics.stream().filter(l -> l.contains("\"optim/grad_norm\"")).count());
    assertTrue(metrics.stream().anyMatch(l -> l.contains("\"completions/")), "GRPO sampled");
    String model = Files.readString(dir.latestCheckpoint().orElseThrow().resolve("model.json"));
    assertTrue(
        model.contains("\"arch\":\"llama\"") && model.contains("\"vocab_size\":49152"), model);
  }
}
