package org.tokenrl.trainer.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.arch.GptConfig;

/**
 * The memory preflight: its estimate against the arithmetic written out by hand, the refusal (one
 * line naming the keys of the largest part) when a limit is passed, and whole runs refused by
 * StartChecks before anything is built.
 */
class MemoryPreflightTest {
  private static final Path ROOT = ProjectRoot.get();
  private static final double GB = 1024.0 * 1024 * 1024;
  // vocab 100, d 64, 2 layers, 4 heads, d_ff 256, 32 positions
  private static final GptConfig GPT = new GptConfig(100, 64, 2, 4, 256, 32);

  private static MemoryPreflight.Inputs inputs(long rows, int microBatch, boolean async) {
    return new MemoryPreflight.Inputs(
        GPT, LoraConfig.NONE, false, true, true, true, 2, rows, 20, rows, microBatch, async);
  }

  @Test
  void theEstimateIsTheSumOfItsPartsWrittenOut() {
    long p = GPT.parameterCount();
    assertEquals(100 * 64 + 32 * 64 + 2 * (4 * 64 * 64 + 2 * 64 * 256 + 4 * 64) + 2 * 64, p);
    MemoryPreflight.Estimate e = MemoryPreflight.estimate(inputs(64, 4096, false));
    double weights = 4.0 * p * (1 + 2 + 1); // policy, 2 rollout workers, KL reference
    double optimizer = 3 * 4.0 * p;
    double perToken = 4.0 * (2 * (4 * 64 + 2 * 256 + 4 * 20) + 100);
    double activations = Math.min(4096, 64 * 20) * perToken;
    double kv = 64 * 4.0 * (2 * 2 * 64 * 20 + 100);
    assertEquals(weights + optimizer + Math.max(activations, kv), e.peakBytes(), 1e-6);
    assertEquals(0, e.heapBytes());
    // Asynchronous sampling holds both at once.
    assertEquals(
        weights + optimizer + activations + kv,
        MemoryPreflight.estimate(inputs(64, 4096, true)).peakBytes(),
        1e-6);
  }

  @Test
  void aRunPastTheCapIsRefusedNamingTheKeysOfItsLargestPart() {
    MemoryPreflight.Limits oneGb = new MemoryPreflight.Limits(GB, 8 * GB, 2 * GB);
    MemoryPreflight.check(inputs(64, 4096, false), oneGb); // a few MB: fits
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> MemoryPreflight.check(inputs(4_000_000, 4096, false), oneGb));
    String m = e.getMessage();
    assertTrue(m.startsWith("memory: this run needs at least "), m);
    assertTrue(m.contains("KV cache"), m);
    assertTrue(m.contains("TOKENRL_NATIVE"), m);
    assertTrue(
        m.endsWith("lower trainer.group_size, trainer.prompts_per_step, rollout.max_new_tokens"),
        m);
    assertFalse(m.contains("\n"), m);
    // More rows than one batch can hold is refused before any arithmetic overflows.
    ConfigException rows =
        assertThrows(
            ConfigException.class,
            () -> MemoryPreflight.check(inputs(3_000_000_000L, 4096, false), oneGb));
    assertTrue(rows.getMessage().contains("trainer.prompts_per_step x trainer.group_size"));
  }

  @Test
  void theMachineAndTheHeapAreLimitsToo() {
    MemoryPreflight.Inputs pretrained =
        new MemoryPreflight.Inputs(
            GPT, LoraConfig.NONE, true, false, false, true, 1, 0, 20, 8, 4096, false);
    double weights = 4.0 * GPT.parameterCount();
    ConfigException heap =
        assertThrows(
            ConfigException.class,
            () ->
                MemoryPreflight.check(pretrained, new MemoryPreflight.Limits(GB, GB, weights / 2)));
    assertTrue(heap.getMessage().contains("TOKENRL_HEAP"), heap.getMessage());
    ConfigException machine =
        assertThrows(
            ConfigException.class,
            () ->
                MemoryPreflight.check(
                    inputs(100_000, 4096, false), new MemoryPreflight.Limits(0, GB / 4, 0)));
    assertTrue(machine.getMessage().contains("of RAM"), machine.getMessage());
  }

  private static Config quickstart(String... overrides) {
    return ConfigLoader.load(
            ROOT.resolve("configs"), ROOT.resolve("configs/quickstart.conf"), List.of(overrides))
        .config();
  }

  @Test
  void startChecksRefuseAGroupSizeThatCannotFit() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> StartChecks.run(quickstart("trainer.group_size=1000000"), ROOT));
    assertTrue(e.getMessage().contains("trainer.group_size"), e.getMessage());
    StartChecks.run(quickstart(), ROOT); // the quickstart fits
  }
}
