package org.tokenrl.trainer;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.Tokenizers;
import org.tokenrl.model.Checkpoint;
import org.tokenrl.model.Policy;
import org.tokenrl.rollout.Task;
import org.tokenrl.rollout.Tasks;

/**
 * {@code ./tokenrl eval <run dir> [task.key=value ...]}: greedy held-out accuracy of a run's
 * checkpoint, on the run's task or on a variant of it (e.g. longer numbers, to measure
 * generalisation beyond the training distribution).
 */
final class EvalCommand implements Command {
  static final String HELP =
      """
      usage: ./tokenrl eval <run dir> [task.key=value ...] [--checkpoint DIR] [--size N]

      Greedy held-out exact-match accuracy of a trained policy, judged by the task's verifier.
      The task comes from the run's config.conf; task.* overrides change it for this evaluation
      only, e.g. to test on longer numbers than the run trained on:
        ./tokenrl eval runs/sft-20261130-101500 task.digits=3 task.min_digits=3

      options:
        --checkpoint DIR   evaluate this checkpoint (default: the run's newest step-* checkpoint)
        --size N           held-out examples to evaluate (default: trainer.eval_size; 0 = all)
        --help             this text

      Prints one JSON line: {"accuracy": ..., "correct": ..., "examples": ..., "checkpoint": ...}.
      """;

  @Override
  public String name() {
    return "eval";
  }

  @Override
  public String summary() {
    return "held-out accuracy of a run's checkpoint, optionally on a changed task";
  }

  @Override
  public int run(String[] args) {
    Path runDir = null;
    Path checkpoint = null;
    Integer size = null;
    List<String> overrides = new ArrayList<>();
    try {
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--help", "-h" -> {
            System.out.print(HELP);
            return 0;
          }
          case "--checkpoint" -> checkpoint = Path.of(value(args, ++i, a));
          case "--size" -> size = Integer.parseInt(value(args, ++i, a));
          default -> {
            if (a.startsWith("--")) {
              throw new IllegalArgumentException("unknown option " + a);
            } else if (a.contains("=")) {
              overrides.add(a);
            } else if (runDir == null) {
              runDir = Path.of(a);
            } else {
              throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
          }
        }
      }
      if (runDir == null) {
        throw new IllegalArgumentException("missing run directory");
      }
      Path run = runDir;
      RunDirectory dir = RunDirectory.existing(run);
      Config config = withTaskOverrides(ConfigLoader.loadResolved(dir.config()).config(), overrides);
      Path ckpt =
          checkpoint != null
              ? checkpoint
              : dir.latestCheckpoint()
                  .orElseThrow(
                      () -> new IllegalArgumentException(run + " has no step-* checkpoint yet"));
      Task task = Tasks.create(config.getConfig("task"), TrainCommand.projectRoot());
      Checkpoint.Loaded loaded = Checkpoints.load(ckpt);
      try (Policy policy = loaded.policy()) {
        PromptCodec codec = new PromptCodec(Tokenizers.fromJson(loaded.tokenizerJson()));
        int n = size != null ? size : config.getInt("trainer.eval_size");
        int maxNew = MaxNewTokens.of(config, task);
        Evaluator evaluator = new Evaluator(task, n, codec, maxNew);
        double acc = evaluator.accuracy(policy);
        System.out.printf(
            Locale.ROOT,
            "{\"accuracy\": %.6f, \"correct\": %d, \"examples\": %d, \"checkpoint\": \"%s\"}%n",
            acc,
            Math.round(acc * evaluator.size()),
            evaluator.size(),
            ckpt.toString().replace("\\", "\\\\").replace("\"", "\\\""));
      }
      return 0;
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (RuntimeException e) {
      System.err.println("tokenrl eval: " + e.getMessage() + " (see ./tokenrl eval --help)");
      return 2;
    }
  }

  /**
   * Applies {@code task.key=value} overrides as strictly as train does (an unknown key or a wrong
   * type is an error); other keys are refused, since the model and weights come from the run.
   */
  static Config withTaskOverrides(Config config, List<String> overrides) {
    return ConfigLoader.override(config, overrides, "task.");
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }
}
