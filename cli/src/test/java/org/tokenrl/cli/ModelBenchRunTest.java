package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.tokenrl.tools.bench.ModelBench;
import org.tokenrl.tools.bench.ModelBench.BenchCase;
import org.tokenrl.tools.bench.ModelBench.Result;
import org.tokenrl.tools.bench.ModelBenchRun;

/** The JSON lines of {@code ./tokenrl bench model --json} are compared over time: exact format. */
class ModelBenchRunTest {
  private static BenchCase named(String name) {
    return ModelBench.cases().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void jsonLinesHaveTheIssuesNamesAndFields() {
    Result train = new Result(named("gpt-d128-L2 train B64 T16"), 215.34, null);
    Result sample = new Result(named("llama-135m sample B16 P32 N32"), 71.06, null);
    assertEquals(
        "{\"case\":\"gpt-d128-L2 train B64 T16\",\"train_step_ms\":215.3}",
        ModelBenchRun.jsonLine(train, false, OptionalDouble.empty()));
    assertEquals(
        "{\"case\":\"llama-135m sample B16 P32 N32\",\"tokens_per_sec\":71.1}",
        ModelBenchRun.jsonLine(sample, false, OptionalDouble.empty()));
  }

  @Test
  void vsTorchAddsPyTorchsValueAndTheRatioOrNullsWhenMissing() {
    Result train = new Result(named("gpt-d128-L2 train B64 T16"), 146.0, null);
    assertEquals(
        "{\"case\":\"gpt-d128-L2 train B64 T16\",\"train_step_ms\":146.0,"
            + "\"torch_train_step_ms\":73.0,\"ratio\":2.000}",
        ModelBenchRun.jsonLine(train, true, OptionalDouble.of(73.0)));
    Result failed = new Result(named("llama-135m train B8 T64"), Double.NaN, "failed: OOM");
    assertEquals(
        "{\"case\":\"llama-135m train B8 T64\",\"train_step_ms\":null,"
            + "\"torch_train_step_ms\":null,\"ratio\":null,\"error\":\"failed: OOM\"}",
        ModelBenchRun.jsonLine(failed, true, OptionalDouble.empty()));
  }

  @Test
  void vsTorchRunsThreeRoundsUnlessToldOtherwise() {
    assertEquals(3, parsed("--vs-torch").effectiveRounds());
    assertEquals(1, parsed().effectiveRounds());
    assertEquals(2, parsed("--vs-torch", "--rounds", "2").effectiveRounds());
    assertEquals(5, parsed("--rounds=5").effectiveRounds());
  }

  private static BenchCommand.Model parsed(String... args) {
    BenchCommand.Model m = new BenchCommand.Model();
    new picocli.CommandLine(m).parseArgs(args);
    return m;
  }
}
