package org.tokenrl.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.Metrics;
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
 * checkpoint, and with {@code --samples N} pass@k, avg@N and maj@N (docs/evaluation.md), on the
 * run's task or on a variant of it (e.g. longer numbers, to measure generalisation beyond the
 * training distribution).
 */
@Command(
    name = "eval",
    description = "held-out accuracy of a run's checkpoint, optionally on a changed task",
    footer = EvalCommand.DETAILS)
final class EvalCommand extends CliCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  static final String DETAILS =
      """

      Greedy held-out exact-match accuracy of a trained policy, judged by the task's verifier.
      A multi-turn run (rollout.env) is evaluated with its environment and also prints
      "multi_turn_frac"; rollout.* overrides change that too, e.g. rollout.env.name="" to
      evaluate the same checkpoint without the tool.
      The task comes from the run's config.conf; task.* overrides change it for this evaluation
      only, e.g. to test on longer numbers than the run trained on:
        ./tokenrl eval runs/sft-20261130-101500 task.digits=3 task.min_digits=3

      With --samples N > 1 it also samples N responses per prompt (--temperature, --top-p,
      --top-k; defaults: the run's trainer.eval_samples, eval_temperature, eval_top_p, eval_top_k)
      and reports pass@k (the unbiased estimator, k = 1, 2, 4, ... and N), avg@N and maj@N, as
      training logs them under eval/. Sample j of prompt i is seeded from (--seed, i, j), --seed
      defaulting to the run's run.seed: the same checkpoint and flags give the same numbers, and
      the run's own last evaluation is reproduced.

      Prints one JSON line: {"accuracy": ..., "correct": ..., "examples": ..., "checkpoint": ...},
      with "samples", "temperature", "seed", "pass@1", ..., "avg@N", "maj@N" when N > 1.\
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

  @Option(
      names = "--samples",
      paramLabel = "N",
      description =
          "responses sampled per prompt for pass@k, avg@N, maj@N (default: trainer.eval_samples;"
              + " 1 = greedy only)")
  private Integer samples;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description = "sampling temperature, > 0 (default: trainer.eval_temperature)")
  private Double temperature;

  @Option(
      names = "--top-p",
      paramLabel = "P",
      description = "nucleus threshold in (0, 1], 1 = off (default: trainer.eval_top_p)")
  private Double topP;

  @Option(
      names = "--top-k",
      paramLabel = "K",
      description = "top-k, 0 = off (default: trainer.eval_top_k)")
  private Integer topK;

  @Option(
      names = "--seed",
      paramLabel = "S",
      description = "seed of the sampled responses (default: the run's run.seed)")
  private Long seed;

  @Parameters(index = "0", paramLabel = "<run dir>", description = "the run to evaluate")
  private Path runDir;

  @Parameters(
      index = "1..*",
      paramLabel = "task.key=value",
      description = "changes to the run's task for this evaluation")
  private List<String> overrides = new ArrayList<>();

  @Override
  int execute() throws java.io.IOException {
    try {
      for (String o : overrides) {
        if (!o.contains("=")) {
          return fail("unexpected argument '" + o + "' (overrides look like task.key=value)");
        }
      }
      if (size != null && size < 0) {
        return fail("--size must be >= 0 (0 = all), got " + size);
      }
      String badFlag = badSamplingFlag();
      if (badFlag != null) {
        return fail(badFlag);
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
          Evaluator.Sampled sampling = sampling(config);
          // A multi-turn run (rollout.env) is evaluated with its environment, as training does.
          org.tokenrl.rollout.env.MultiTurnDriver driver =
              config.hasPath("rollout.env.name")
                  ? org.tokenrl.rollout.env.MultiTurn.driver(config, tokenizer)
                  : null;
          Evaluator evaluator =
              new Evaluator(task, n, codec, maxNew).sampled(sampling).withMultiTurn(driver);
          Map<String, Double> scores;
          try {
            scores = evaluator.evaluate(policy);
          } finally {
            if (driver != null) {
              driver.close();
            }
          }
          double acc = scores.get(Metrics.EVAL_ACCURACY);
          ObjectNode out = JSON.createObjectNode();
          out.put("accuracy", acc);
          out.put("correct", Math.round(acc * evaluator.size()));
          out.put("examples", evaluator.size());
          Double toolFrac = scores.get(Metrics.EVAL_MULTI_TURN_FRAC);
          if (toolFrac != null) {
            out.put("multi_turn_frac", toolFrac); // share of rollouts the environment answered
          }
          if (sampling.samples() > 1) {
            out.put("samples", sampling.samples());
            out.put("temperature", sampling.temperature());
            out.put("top_p", sampling.topP());
            out.put("top_k", sampling.topK());
            out.put("seed", sampling.seed());
            scores.forEach(
                (name, v) -> {
                  if (!name.equals(Metrics.EVAL_ACCURACY)
                      && !name.equals(Metrics.EVAL_MULTI_TURN_FRAC)) {
                    out.put(name.substring("eval/".length()), v);
                  }
                });
          }
          out.put("checkpoint", ckpt.toString());
          console().out().println(JSON.writeValueAsString(out));
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

  /** The first bad sampling flag as one line naming it, or null. */
  private String badSamplingFlag() {
    if (samples != null && samples < 1) {
      return "--samples must be >= 1 (1 = greedy only), got " + samples;
    }
    if (temperature != null && !(temperature > 0 && Double.isFinite(temperature))) {
      return "--temperature must be > 0, got " + temperature;
    }
    if (topP != null && !(topP > 0 && topP <= 1)) {
      return "--top-p must be in (0, 1] (1 = off), got " + topP;
    }
    if (topK != null && topK < 0) {
      return "--top-k must be >= 0 (0 = off), got " + topK;
    }
    return null;
  }

  /**
   * The flags over the run's trainer.eval_* settings; a run made before those keys existed reads
   * base.conf's defaults (greedy only).
   */
  private Evaluator.Sampled sampling(Config config) {
    int n = samples != null ? samples : intOr(config, "trainer.eval_samples", 1);
    if (n == 1 && (temperature != null || topP != null || topK != null || seed != null)) {
      throw new IllegalArgumentException(
          "--temperature, --top-p, --top-k and --seed set the sampled evaluation: add --samples N"
              + " > 1 (with one sample per prompt the evaluation is greedy only)");
    }
    return new Evaluator.Sampled(
        n,
        temperature != null ? temperature : doubleOr(config, "trainer.eval_temperature", 1.0),
        topP != null ? topP : doubleOr(config, "trainer.eval_top_p", 1.0),
        topK != null ? topK : intOr(config, "trainer.eval_top_k", 0),
        seed != null ? seed : config.getLong("run.seed"));
  }

  private static int intOr(Config c, String key, int fallback) {
    return c.hasPath(key) ? c.getInt(key) : fallback;
  }

  private static double doubleOr(Config c, String key, double fallback) {
    return c.hasPath(key) ? c.getDouble(key) : fallback;
  }

  /**
   * Applies {@code task.key=value} overrides as strictly as train does (an unknown key or a wrong
   * type is an error); other keys are refused, since the model and weights come from the run.
   */
  static Config withTaskOverrides(Config config, List<String> overrides) {
    List<String> rollout = overrides.stream().filter(o -> o.startsWith("rollout.")).toList();
    List<String> rest = overrides.stream().filter(o -> !o.startsWith("rollout.")).toList();
    Config out = rollout.isEmpty() ? config : ConfigLoader.override(config, rollout, "rollout.");
    return ConfigLoader.override(out, rest, "task.");
  }
}
