package org.tokenrl.trainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code ./tokenrl bench [model|bleu|rollout] [options]}: speed measured against baselines. */
final class BenchCommand implements Command {
  static final String HELP =
      """
      usage: ./tokenrl bench [model|bleu|rollout] [--quick] [model options]

        model (default)  the policy engine on issue 10's five cases: training step time of the
                         gpt-d128-L2, gpt-d256-L6 and llama-135m models and KV-cache sampling
                         tokens/s; prints which OpenBLAS the run uses
        bleu             per-sentence TensorBLEU against NLTK's sentence_bleu and a plain Java loop
        rollout          rollout tokens/s in-process and on a local Ray cluster with 1 and 2 actors,
                         and the per-step cost of Arrow transport and weight sync
        --quick          fewer repetitions

      model options:
        --json           one JSON object per case, e.g. {"case":"gpt-d128-L2 train B64 T16",
                         "train_step_ms":215.3} (the human-readable table is the default)
        --vs-torch       also run experiments/bench/torch_model_bench.py case by case with
                         /usr/bin/python3 (or $TOKENRL_TORCH_PYTHON) and print the ratios
                         tokenrl/PyTorch (step time for train cases, tokens/s for sample cases)
        --only TEXT      run only the cases whose name contains TEXT
      """;

  @Override
  public String name() {
    return "bench";
  }

  @Override
  public String summary() {
    return "measure training, sampling, rollout and BLEU speed (model: also against PyTorch)";
  }

  @Override
  public int run(String[] args) {
    if (Arrays.asList(args).contains("--help")) {
      System.out.print(HELP);
      return 0;
    }
    String what = args.length > 0 && !args[0].startsWith("--") ? args[0] : "model";
    String[] rest =
        args.length > 0 && !args[0].startsWith("--")
            ? Arrays.copyOfRange(args, 1, args.length)
            : args;
    switch (what) {
      case "model" -> {
        return runModel(rest);
      }
      case "bleu" -> BleuBenchmark.main(rest);
      case "rollout" -> RolloutBench.main(rest);
      default -> {
        System.err.println("tokenrl bench: unknown benchmark '" + what + "'\n" + HELP);
        return 2;
      }
    }
    return 0;
  }

  private static int runModel(String[] args) {
    boolean quick = false;
    boolean json = false;
    boolean vsTorch = false;
    String only = "";
    List<String> unknown = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--json" -> json = true;
        case "--vs-torch" -> vsTorch = true;
        case "--only" -> {
          if (i + 1 == args.length) {
            System.err.println("tokenrl bench model: --only needs a case-name fragment");
            return 2;
          }
          only = args[++i];
        }
        default -> unknown.add(args[i]);
      }
    }
    if (!unknown.isEmpty()) {
      System.err.println("tokenrl bench model: unknown option " + unknown.get(0) + "\n" + HELP);
      return 2;
    }
    new ModelBenchRun(quick, json, vsTorch, only).run();
    return 0;
  }
}
