package org.tokenrl.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelBenchTest {
  /** Names and fields are a contract: results are compared over time and against PyTorch's. */
  @Test
  void casesAreIssueTensFiveWithTheirJsonFields() {
    List<String> got =
        ModelBench.cases().stream().map(c -> c.name() + " " + c.metric().key).toList();
    assertEquals(
        List.of(
            "gpt-d128-L2 train B64 T16 train_step_ms",
            "gpt-d256-L6 train B16 T128 train_step_ms",
            "gpt-d128-L2 sample B64 P16 N32 tokens_per_sec",
            "llama-135m train B8 T64 train_step_ms",
            "llama-135m sample B16 P32 N32 tokens_per_sec"),
        got);
  }

  /**
   * The build's system-openblas profile (and the launcher) load Debian's OpenBLAS 0.3.21 when the
   * machine has it; otherwise ND4J's bundled 0.3.19 runs. Either way the process must map exactly
   * the one expected.
   */
  @Test
  void testJvmMapsTheExpectedOpenBlas() {
    boolean debian =
        Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"));
    String inUse = ModelBench.openBlasInUse();
    assertTrue(
        inUse.startsWith(debian ? "OpenBLAS 0.3.21 (system library" : "OpenBLAS 0.3.19 (bundled"),
        inUse);
  }
}
