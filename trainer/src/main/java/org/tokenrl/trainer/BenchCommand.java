package org.tokenrl.trainer;

import java.util.Arrays;

/** {@code ./tokenrl bench [model|bleu] [options]}: speed measured against in-run baselines. */
final class BenchCommand implements Command {
  static final String HELP =
      """
      usage: ./tokenrl bench [model|bleu|rollout] [--quick]

        model (default)  training tokens/s and GFLOP/s against a plain ND4J matrix product
                         (the machine's ceiling), sampling tokens/s with and without the KV cache
        bleu             per-sentence TensorBLEU against NLTK's sentence_bleu and a plain Java loop
        rollout          rollout tokens/s in-process and on a local Ray cluster with 1 and 2 actors,
                         and the per-step cost of Arrow transport and weight sync
      Every ratio is taken against a baseline measured in the same run.
        --quick          a shorter sweep
      """;

  @Override
  public String name() {
    return "bench";
  }

  @Override
  public String summary() {
    return "measure training, sampling, rollout and BLEU speed against in-run baselines";
  }

  @Override
  public int run(String[] args) {
    String what = args.length > 0 && !args[0].startsWith("--") ? args[0] : "model";
    String[] rest = args.length > 0 && !args[0].startsWith("--")
        ? Arrays.copyOfRange(args, 1, args.length) : args;
    if (Arrays.asList(args).contains("--help")) {
      System.out.print(HELP);
      return 0;
    }
    switch (what) {
      case "model" -> org.tokenrl.model.ModelBench.main(rest);
      case "bleu" -> BleuBenchmark.main(rest);
      case "rollout" -> RolloutBench.main(rest);
      default -> {
        System.err.println("tokenrl bench: unknown benchmark '" + what + "'\n" + HELP);
        return 2;
      }
    }
    return 0;
  }
}
