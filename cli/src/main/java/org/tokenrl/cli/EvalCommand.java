package org.tokenrl.cli;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.core.Tokenizers;
import org.tokenrl.model.Policy;
import org.tokenrl.model.io.Checkpoint;
import org.tokenrl.rollout.Task;
import org.tokenrl.rollout.Tasks;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.runlog.RunLock;
import org.tokenrl.trainer.loop.Checkpoints;
import org.tokenrl.trainer.loop.Evaluator;
import org.tokenrl.trainer.setup.ChatFormat;
import org.tokenrl.trainer.setup.MaxNewTokens;
import org.tokenrl.trainer.setup.PromptCodec;
import org.tokenrl.trainer.setup.StartChecks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./tokenrl eval <run dir> [task.key=value ...]}: greedy held-out accuracy of a run's
 * checkpoint, on the run's task or on a variant of it (e.g. longer numbers, to measure
 * generalisation beyond the training distribution).
 */
@Command(
    name = "eval",
    description = "held-out accuracy of a run's checkpoint, optionally on a changed task",
    footer = EvalCommand.DETAILS)
final class EvalCommand extends CliCommand {
  static final String DETAILS =
      """

      Greedy held-out exact-match accuracy of a trained policy, judged by the task's verifier.
      The task comes from the run's config.conf; task.* overrides change it for this evaluation
      only, e.g. to test on longer numbers than the run trained on:
        ./tokenrl eval runs/sft-20261130-101500 task.digits=3 task.min_digits=3

      Prints one JSON line: {"accuracy": ..., "correct": ..., "examples": ..., "checkpoint": ...}.\
      """;

  @Option(
      names = "--checkpoint",
      paramLabel = "DIR",
      description = "evaluate this checkpoint (default: the run's newest step-* checkpoint)")
  private Path checkpoint;

  @Option(
      names = "--size",
      paramLabel = "N",
      description = "held-out examples to evaluate (default: trainer.eval_size; 0 = all)")
  private Integer size;

  @Option(
      names = "--base",
      description =
          "a LoRA run: evaluate the pretrained base it started from (its adapters zeroed), on the"
              + " same held-out prompts")
  private boolean base;

  @Parameters(index = "0", paramLabel = "<run dir>", description = "the run to evaluate")
  private Path runDir;

  @Parameters(
      index = "1..*",
      paramLabel = "task.key=value",
      description = "changes to the run's task for this evaluation")
  private List<String> overrides = new ArrayList<>();

  @Override
  int execute() {
    try {
      for (String o : overrides) {
        if (!o.contains("=")) {
          return fail("unexpected argument '" + o + "' (overrides look like task.key=value)");
        }
      }
      if (size != null && size < 0) {
        return fail("--size must be >= 0 (0 = all), got " + size);
      }
      Path run = runDir;
      RunDirectory dir = RunDirectory.existing(run);
      // A live run must not prune the checkpoint being read; see RunDirectory.lockShared().
      try (RunLock lock = dir.lockShared()) {
        Config config =
            withTaskOverrides(ConfigLoader.loadResolved(dir.config()).config(), overrides);
        Path ckpt =
            checkpoint != null
                ? checkpoint
                : dir.latestCheckpoint()
                    .orElseThrow(
                        () -> new IllegalArgumentException(run + " has no step-* checkpoint yet"));
        Task task = Tasks.create(config.getConfig("task"), ProjectRoot.get());
        StartChecks.checkLengths(config, task); // a changed task must still fit the model
        Checkpoint.Loaded loaded = Checkpoints.load(ckpt);
        try (Policy policy = loaded.policy()) {
          org.tokenrl.core.Tokenizer tokenizer = Tokenizers.fromJson(loaded.tokenizerJson());
          PromptCodec codec = new PromptCodec(tokenizer, ChatFormat.of(config, tokenizer));
          if (base) {
            if (!policy.lora().enabled()) {
              return fail("--base needs a LoRA run (model.lora.rank > 0): " + ckpt + " has none");
            }
            // B = 0 makes every adapter's product zero: exactly the pretrained base.
            Map<String, float[]> adapters = policy.adapterWeights();
            adapters.replaceAll(
                (name, v) -> name.endsWith("lora_B.weight") ? new float[v.length] : v);
            policy.importWeights(adapters);
          }
          int n = size != null ? size : config.getInt("trainer.eval_size");
          int maxNew = MaxNewTokens.of(config, task);
          Evaluator evaluator = new Evaluator(task, n, codec, maxNew);
          double acc = evaluator.accuracy(policy);
          console()
              .out()
              .printf(
                  Locale.ROOT,
                  "{\"accuracy\": %.6f, \"correct\": %d, \"examples\": %d, \"checkpoint\":"
                      + " \"%s\"}%n",
                  acc,
                  Math.round(acc * evaluator.size()),
                  evaluator.size(),
                  ckpt.toString().replace("\\", "\\\\").replace("\"", "\\\""));
        }
      }
      return 0;
    } catch (ConfigException e) {
      throw e;
    } catch (RunLock.HeldException e) {
      return fail(e.getMessage());
    } catch (RuntimeException e) {
      return fail(e.getMessage() + " (see ./tokenrl eval --help)");
    }
  }

  /**
   * Applies {@code task.key=value} overrides as strictly as train does (an unknown key or a wrong
   * type is an error); other keys are refused, since the model and weights come from the run.
   */
  static Config withTaskOverrides(Config config, List<String> overrides) {
    return ConfigLoader.override(config, overrides, "task.");
  }
}
