package org.tokenrl.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.core.Threads;
import org.tokenrl.rewards.Smoothing;
import org.tokenrl.tools.bench.BleuBenchmark;
import org.tokenrl.tools.bench.GrpoStepBench;
import org.tokenrl.tools.bench.ModelBenchRun;
import org.tokenrl.tools.bench.RolloutBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tokenrl bench [model|bleu|rollout] [options]}: speed measured against baselines run in
 * the same process. Without a benchmark name it runs {@code model} with its defaults.
 */
@Command(
    name = "bench",
    description =
        "measure training, sampling, rollout and BLEU speed (model: also against PyTorch)",
    subcommands = {
      BenchCommand.Model.class,
      BenchCommand.Bleu.class,
      BenchCommand.Rollout.class,
      BenchCommand.GrpoStep.class
    },
    footer = {"", "Without a benchmark name, runs 'model' with its defaults."})
final class BenchCommand extends CliCommand {
  @Override
  int execute() throws BadInput {
    return new Model().execute();
  }

  @Command(
      name = "model",
      description = {
        "the policy engine: training step time of the gpt-d128-L2, gpt-d256-L6 and llama-135m",
        "models and KV-cache sampling tokens/s; prints which OpenBLAS the run uses"
      })
  static final class Model extends CliCommand {
    @Option(names = "--quick", description = "fewer repetitions")
    boolean quick;

    @Option(
        names = "--json",
        description =
            "one JSON object per case, e.g. {\"case\":\"gpt-d128-L2 train B64 T16\","
                + "\"train_step_ms\":215.3} (the table is the default)")
    boolean json;

    @Option(
        names = "--vs-torch",
        description =
            "also run experiments/bench/torch_model_bench.py case by case with /usr/bin/python3"
                + " (or $TOKENRL_TORCH_PYTHON) and print the ratios tokenrl/PyTorch")
    boolean vsTorch;

    @Option(
        names = "--only",
        paramLabel = "TEXT",
        description = "only the cases whose name contains TEXT")
    String only = "";

    @Option(
        names = "--cpu-time",
        description =
            "time with the CPU time of the thread running each case instead of wall time (both"
                + " sides; with one BLAS thread it does all the work): far less disturbed by other"
                + " jobs, a busy hypervisor, or the JVM's compiler threads")
    boolean cpuTime;

    @Option(
        names = "--rounds",
        paramLabel = "N",
        description =
            "run each case N times, alternating with PyTorch under --vs-torch, and report the"
                + " medians (the ratio is the median of the rounds' ratios). Default 3 with"
                + " --vs-torch (one round's ratio swung by up to 30% on a shared VM), else 1")
    Integer rounds;

    /** --rounds as given, else 3 with --vs-torch and 1 without. */
    int effectiveRounds() {
      return rounds != null ? rounds : vsTorch ? 3 : 1;
    }

    @Override
    int execute() throws BadInput {
      int n = effectiveRounds();
      if (n < 1) {
        throw new BadInput("--rounds must be at least 1, got " + n);
      }
      new ModelBenchRun(quick, json, vsTorch, only, cpuTime, n).run();
      return 0;
    }
  }

  @Command(
      name = "bleu",
      description = "per-sentence TensorBLEU against NLTK's sentence_bleu and a plain Java loop")
  static final class Bleu extends CliCommand {
    @Option(names = "--quick", description = "batch sizes and lengths 64 and 256 only")
    boolean quick;

    @Option(
        names = "--vocab",
        paramLabel = "V",
        description = "token ids drawn from [0, V) (default ${DEFAULT-VALUE})")
    int vocab = 32000;

    @Option(
        names = "--overlap",
        paramLabel = "P",
        description =
            "share of candidate tokens copied from the reference (default ${DEFAULT-VALUE})")
    double overlap = 0.5;

    @Option(
        names = "--smoothing",
        paramLabel = "methodK",
        description = "NLTK smoothing method0..method7 (default ${DEFAULT-VALUE})")
    String smoothing = "method1";

    @Option(names = "--no-nltk", description = "skip the NLTK baseline")
    boolean noNltk;

    @Option(
        names = "--nd4j",
        description = "also time ND4J's unique and bincount against the Java radix sort")
    boolean nd4j;

    @Override
    int execute() {
      if (vocab < 1 || !(overlap >= 0 && overlap <= 1)) {
        return fail("--vocab must be >= 1 and --overlap in [0, 1]");
      }
      Smoothing s;
      try {
        s = Smoothing.parse(smoothing);
      } catch (IllegalArgumentException e) {
        return fail("--smoothing: " + e.getMessage());
      }
      BleuBenchmark.run(quick, !noNltk, nd4j, vocab, overlap, s);
      return 0;
    }
  }

  @Command(
      name = "rollout",
      description = {
        "rollout tokens/s in-process and on a local Ray cluster with 1 and 2 actors, and the",
        "per-step cost of Arrow transport and weight sync"
      })
  static final class Rollout extends CliCommand {
    @Option(names = "--quick", description = "3 rounds instead of 8")
    boolean quick;

    @Override
    int execute() {
      RolloutBench.run(quick);
      return 0;
    }
  }

  @Command(
      name = "grpo-step",
      description = {
        "one RL step of a run config (default: the SmolLM2 job, configs/smollm2-arith.conf) timed",
        "through the real trainer: median step seconds, sampling tokens/s, update seconds and peak",
        "RSS, each thread count in a child JVM (OMP_NUM_THREADS); ratios against the first count"
      })
  static final class GrpoStep extends CliCommand {
    @Option(
        names = "--config",
        paramLabel = "FILE",
        description = "the run config (default configs/smollm2-arith.conf)")
    Path config;

    @Option(
        names = "--steps",
        paramLabel = "N",
        description = "training steps per run (default ${DEFAULT-VALUE})")
    int steps = 6;

    @Option(
        names = "--warmup",
        paramLabel = "K",
        description =
            "first steps left out of the medians (JIT, first allocations; default"
                + " ${DEFAULT-VALUE})")
    int warmup = 1;

    @Option(
        names = "--threads",
        paramLabel = "LIST",
        split = ",",
        description = "BLAS thread counts, one child JVM each (default: 1 and all cores)")
    List<Integer> threads;

    @Option(names = "--json", description = "one JSON object per thread count")
    boolean json;

    @Parameters(
        paramLabel = "key=value",
        description =
            "config overrides, applied before the"
                + " bench's own (trainer.steps, no evaluation, one sampler thread)")
    List<String> overrides = new ArrayList<>();

    @Override
    int execute() throws Exception {
      Path file = config != null ? config : ProjectRoot.get().resolve("configs/smollm2-arith.conf");
      if (!Files.isRegularFile(file)) {
        return fail(
            "--config "
                + file
                + " is not a file: give a run config such as configs/quickstart.conf");
      }
      if (steps < 1 || warmup < 0 || warmup >= steps) {
        return fail(
            "--steps must be at least 1 and --warmup in [0, steps), got "
                + steps
                + " and "
                + warmup);
      }
      for (String o : overrides) {
        if (!o.contains("=")) {
          return fail("unexpected argument '" + o + "' (overrides look like key=value)");
        }
      }
      List<Integer> counts = threads != null ? threads : defaultThreads();
      if (counts.isEmpty() || counts.stream().anyMatch(t -> t == null || t < 1)) {
        return fail("--threads takes positive counts, e.g. --threads 1,2");
      }
      int[] t = counts.stream().mapToInt(Integer::intValue).toArray();
      GrpoStepBench.run(file, overrides, steps, warmup, t, json, console().out());
      return 0;
    }

    private static List<Integer> defaultThreads() {
      int cores = Threads.cores();
      return cores > 1 ? List.of(1, cores) : List.of(1);
    }
  }
}
