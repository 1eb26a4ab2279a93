package org.tokenrl.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.tokenrl.algorithms.AlgorithmKind;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.PreferenceAlgorithm;
import org.tokenrl.algorithms.SupervisedAlgorithm;
import org.tokenrl.algorithms.RlAlgorithm;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.core.Tokenizers;
import org.tokenrl.model.Checkpoint;
import org.tokenrl.model.LlamaConfig;
import org.tokenrl.model.ModelConfig;
import org.tokenrl.model.ModelSpec;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPools;
import org.tokenrl.rollout.Task;
import org.tokenrl.rollout.Tasks;

/**
 * A whole run: an optional SFT warm-up, then the main algorithm, with held-out evaluation,
 * checkpoints, metrics and resume. Global steps count SFT steps first, then main-phase steps.
 */
final class TrainingRun {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Config c;
  private final RunDirectory dir;
  private final Path projectRoot;
  private long stopAfterStep = Long.MAX_VALUE;

  TrainingRun(Config config, RunDirectory dir, Path projectRoot) {
    this.c = config;
    this.dir = dir;
    this.projectRoot = projectRoot;
  }

  /** Stops after this global step as if the process were killed (no final checkpoint): for tests. */
  TrainingRun stopAfter(long step) {
    this.stopAfterStep = step;
    return this;
  }

  /** Trains to the configured number of steps; returns the final held-out accuracy. */
  double run(boolean resume) {
    long seed = c.getLong("run.seed");
    Task task = Tasks.create(c.getConfig("task"), projectRoot);
    String algorithmName = c.getString("algorithm.name");
    AlgorithmKind kind = Algorithms.kind(algorithmName);
    validateAlgorithm(kind); // a bad algorithm key fails now, not after the warm-up
    int sftSteps = c.getInt("sft.steps");
    int mainSteps = c.getInt("trainer.steps");
    long total = (long) sftSteps + mainSteps;

    Tokenizer tokenizer = CharTokenizer.ascii();
    Policy policy;
    long done = 0;
    double sftAccuracy = Double.NaN;
    Optional<Path> latest = resume ? dir.latestCheckpoint() : Optional.empty();
    if (resume && latest.isEmpty()) {
      throw new IllegalStateException(
          dir.path() + " has no checkpoint to resume from; start it again without --resume");
    }
    if (latest.isPresent()) {
      Checkpoint.Loaded loaded = Checkpoints.load(latest.get());
      policy = loaded.policy();
      tokenizer = Tokenizers.fromJson(loaded.tokenizerJson());
      JsonNode state = readJson(loaded.trainerStateJson());
      done = state.path("global_step").asLong();
      sftAccuracy = state.path("sft_eval_accuracy").asDouble(Double.NaN);
      MetricsLog.truncateAfter(dir.metrics(), done);
    } else if (!c.getString("run.init_from").isBlank()) {
      policy = initialPolicy(c.getString("run.init_from"), modelConfig(tokenizer), seed);
    } else {
      policy = Policy.create(modelConfig(tokenizer), optimizerConfig(), seed);
    }
    PromptCodec codec = new PromptCodec(tokenizer);
    int maxNew = MaxNewTokens.of(c, task);
    Evaluator evaluator = new Evaluator(task, c.getInt("trainer.eval_size"), codec, maxNew);
    ExampleStream<Example> examples = new ExampleStream<>(task.train(), seed);
    // SFT data: with quality tags, good-tagged correct and bad-tagged corrupted answers.
    ExampleStream<Example> sftExamples = new ExampleStream<>(task.sftExamples(), seed);

    try (RunLog log = new RunLog(dir, resume);
        BufferAllocator allocator = new RootAllocator()) {
      log.info(
          String.format(
              "tokenrl: %s on task %s, model %,d parameters, run dir %s",
              (sftSteps > 0 ? "sft warm-up then " : "") + algorithmName,
              task.name(),
              policy.config().parameterCount(),
              dir.path()));
      if (done > 0) {
        log.info("resumed from checkpoint at step " + done + " of " + total);
      } else if (!c.getString("run.init_from").isBlank()) {
        log.info("weights initialised from " + c.getString("run.init_from"));
      }
      Progress progress = new Progress(total, sftSteps);
      SftTrainer sft =
          new SftTrainer(
              policy,
              sftExamples,
              codec,
              c.getInt("sft.batch_size"),
              LearningRateSchedule.of(
                  c.getDouble("sft.learning_rate"), c.getInt("sft.warmup_steps"), sftSteps, "constant"),
              null,
              0);
      SftTrainer supervised = null;
      PreferenceTrainer preference = null;
      PreferenceEval preferenceEval = null;
      Trainer rl = null;
      RolloutPool pool = null;
      Policy reference = null;
      double lastEval = Double.NaN;
      double skippedTotal = 0;
      try {
        // A distributed pool (a Ray cluster) starts before the warm-up, so one that cannot start
        // fails at once instead of after the SFT phase.
        if (kind == AlgorithmKind.RL
            && done < total
            && !c.getString("distributed.backend").equals(RolloutPools.LOCAL)) {
          pool = RolloutPools.create(new RolloutPoolContext(policy, c, allocator));
        }
        for (long step = done + 1; step <= total; step++) {
          boolean inSft = step <= sftSteps;
          long phaseStep = inSft ? step : step - sftSteps;
          Map<String, Double> m;
          if (inSft) {
            m = sft.step(phaseStep);
          } else if (kind == AlgorithmKind.SUPERVISED) {
            if (supervised == null) {
              SupervisedAlgorithm algorithm = Algorithms.createSupervised(c.getConfig("algorithm"));
              supervised =
                  new SftTrainer(
                      policy,
                      sftExamples,
                      codec,
                      c.getInt("sft.batch_size"),
                      mainSchedule(mainSteps),
                      algorithm.oneTokenRollout(),
                      sftSteps);
            }
            m = supervised.step(phaseStep);
          } else if (kind == AlgorithmKind.PREFERENCE) {
            if (preference == null) {
              PreferenceAlgorithm algorithm = Algorithms.createPreference(c.getConfig("algorithm"));
              PreferenceSetup setup =
                  PreferenceSetup.prepare(
                      c, dir, projectRoot, algorithm, policy, task, codec, allocator, log, seed);
              preference =
                  new PreferenceTrainer(
                      policy,
                      algorithm,
                      setup.data(),
                      c.getInt("preference.batch_pairs"),
                      mainSchedule(mainSteps),
                      seed);
              preferenceEval = setup.eval();
              log.info(
                  String.format(
                      "held-out preference pairs at the start: logp accuracy %.4f (%d pairs)",
                      preferenceEval.evaluate(policy).getOrDefault("eval/logp_accuracy", Double.NaN),
                      preferenceEval.pairs().size()));
            }
            m = preference.step(phaseStep);
          } else {
            if (rl == null) {
              RlAlgorithm algorithm = Algorithms.create(c.getConfig("algorithm"));
              reference = referencePolicy(algorithm, policy, tokenizer, phaseStep);
              if (pool == null) {
                pool = RolloutPools.create(new RolloutPoolContext(policy, c, allocator));
              }
              pool.syncWeights(step - 1, policy.exportWeights());
              rl = newTrainer(policy, reference, pool, task, algorithm, examples, codec, tokenizer, mainSteps, seed);
            }
            m = rl.step(phaseStep);
          }
          if (m.getOrDefault("optim/skipped", 0.0) > 0) {
            skippedTotal += m.get("optim/skipped");
            log.warn(
                "step " + step + ": non-finite loss or gradient; update skipped, weights untouched");
          }
          m.put("optim/skipped_total", skippedTotal);
          boolean last = step == total;
          int evalEvery = c.getInt("trainer.eval_every");
          boolean sftEnd = inSft && step == sftSteps;
          if (last || sftEnd || (evalEvery > 0 && phaseStep % evalEvery == 0)) {
            lastEval = evaluator.accuracy(policy);
            m.put("eval/accuracy", lastEval);
            if (preferenceEval != null) {
              m.putAll(preferenceEval.evaluate(policy));
            }
          }
          if (sftEnd) {
            sftAccuracy = lastEval;
            log.info(String.format("held-out accuracy after the SFT warm-up: %.4f", sftAccuracy));
          }
          log.metrics(step, m);
          if (step % Math.max(1, c.getInt("trainer.progress_every")) == 0 || last) {
            String phase = inSft ? "sft" : algorithmName;
            log.info(progress.line(phase, step, m, lastEval));
          }
          if (checkpointAt(step, total)) {
            saveCheckpoint(policy, tokenizer, step, sftAccuracy);
          }
          if (step >= stopAfterStep) {
            return Double.NaN;
          }
        }
      } finally {
        if (pool != null) {
          pool.close();
        }
        if (reference != null) {
          reference.close();
        }
      }
      if (done >= total) {
        lastEval = evaluator.accuracy(policy);
      }
      if (sftSteps > 0) {
        log.info(
            String.format(
                "held-out accuracy: %.4f after SFT warm-up -> %.4f after %s (%d eval examples)",
                sftAccuracy, lastEval, algorithmName, evaluator.size()));
      } else {
        log.info(
            String.format(
                "held-out accuracy: %.4f (%d eval examples)", lastEval, evaluator.size()));
      }
      log.info("run directory: " + dir.path() + "  (tensorboard --logdir " + dir.path() + ")");
      policy.close();
      return lastEval;
    }
  }

  private void validateAlgorithm(AlgorithmKind kind) {
    Config block = c.getConfig("algorithm");
    switch (kind) {
      case RL -> Algorithms.create(block);
      case PREFERENCE -> Algorithms.createPreference(block);
      case SUPERVISED -> Algorithms.createSupervised(block);
    }
  }

  /** Whether a checkpoint is written after global step {@code step} of {@code total}. */
  private boolean checkpointAt(long step, long total) {
    int every = c.getInt("trainer.checkpoint_every");
    return step == total || (every > 0 && step % every == 0);
  }

  /** The main phase's learning-rate schedule (trainer.*). */
  private LearningRateSchedule mainSchedule(int mainSteps) {
    return LearningRateSchedule.of(
        c.getDouble("trainer.learning_rate"),
        c.getInt("trainer.warmup_steps"),
        mainSteps,
        c.getString("trainer.lr_schedule"));
  }

  private Trainer newTrainer(
      Policy policy,
      Policy reference,
      RolloutPool pool,
      Task task,
      RlAlgorithm algorithm,
      ExampleStream<Example> examples,
      PromptCodec codec,
      Tokenizer tokenizer,
      int mainSteps,
      long seed) {
    SamplingParams sampling =
        new SamplingParams(
            c.getDouble("rollout.temperature"),
            c.getInt("rollout.top_k"),
            c.getDouble("rollout.top_p"),
            MaxNewTokens.of(c, task),
            tokenizer.eos(),
            false);
    return new Trainer(
        policy,
        reference,
        pool,
        task,
        CompositeReward.fromConfig(c),
        algorithm,
        examples,
        codec,
        sampling,
        mainSchedule(mainSteps),
        c.getInt("trainer.prompts_per_step"),
        c.getInt("trainer.group_size"),
        mainSteps,
        seed,
        c.getString("trainer.dynamic_sampling"),
        c.getInt("trainer.max_sampling_rounds"),
        c.getBoolean("distributed.async"),
        phaseStep -> checkpointAt(phaseStep + c.getInt("sft.steps"), mainSteps + c.getInt("sft.steps")));
  }

  /** The frozen policy of the RL start, kept on disk so a resumed run uses the same one. */
  private Policy referencePolicy(
      RlAlgorithm algorithm, Policy policy, Tokenizer tokenizer, long phaseStep) {
    if (!algorithm.needsReference()) {
      return null;
    }
    Path path = dir.referenceCheckpoint();
    if (Files.isDirectory(path) && phaseStep > 1) {
      return Checkpoints.load(path).policy();
    }
    Checkpoints.save(path, policy, tokenizer.toJson(), "{}");
    return policy.copy();
  }

  private void saveCheckpoint(Policy policy, Tokenizer tokenizer, long step, double sftAccuracy) {
    ObjectNode state = JSON.createObjectNode();
    state.put("global_step", step);
    if (!Double.isNaN(sftAccuracy)) {
      state.put("sft_eval_accuracy", sftAccuracy);
    }
    Checkpoints.save(dir.checkpoint(step), policy, tokenizer.toJson(), state.toString());
    dir.pruneCheckpoints(c.getInt("trainer.keep_checkpoints"));
  }

  /**
   * A fresh policy (new optimizer state) holding the weights of {@code from}: a checkpoint
   * directory, or a run directory whose newest checkpoint is used. E.g. several algorithms
   * compared from one shared SFT start.
   */
  private Policy initialPolicy(String from, ModelSpec expected, long seed) {
    Path path = projectRoot.resolve(from);
    Path checkpoint = path;
    if (Files.isRegularFile(path.resolve(RunDirectory.CONFIG))) {
      checkpoint =
          RunDirectory.existing(path)
              .latestCheckpoint()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "run.init_from = " + from + ": the run has no checkpoint yet"));
    }
    if (!Files.isDirectory(checkpoint)) {
      throw new IllegalArgumentException(
          "run.init_from = " + from + " is neither a checkpoint nor a run directory");
    }
    try (Policy loaded = Checkpoints.load(checkpoint).policy()) {
      if (!loaded.config().equals(expected)) {
        throw new IllegalArgumentException(
            "run.init_from = " + from + " holds a model " + loaded.config()
                + " but the config's model block describes " + expected
                + "; select the same model (e.g. model=tiny) or leave run.init_from empty");
      }
      Policy policy = Policy.create(expected, optimizerConfig(), seed);
      policy.importWeights(loaded.exportWeights());
      return policy;
    }
  }

  /**
   * The model block as a {@link ModelSpec}: {@code model.arch} picks the architecture; gpt's
   * vocabulary is the tokenizer's, llama's {@code vocab_size} must cover it. Bad values are one
   * line naming the HOCON key.
   */
  private ModelSpec modelConfig(Tokenizer tokenizer) {
    return modelSpec(c, tokenizer);
  }

  static ModelSpec modelSpec(Config c, Tokenizer tokenizer) {
    Config m = c.getConfig("model");
    String arch = m.getString("arch");
    return switch (arch) {
      case "gpt" -> new ModelConfig(
          tokenizer.vocabSize(),
          m.getInt("d_model"),
          m.getInt("layers"),
          m.getInt("heads"),
          m.getInt("d_ff"),
          m.getInt("max_seq_len"));
      case "llama" -> llamaConfig(m, tokenizer);
      default -> throw new IllegalArgumentException(
          "model.arch must be gpt or llama, got '" + arch + "'");
    };
  }

  private static LlamaConfig llamaConfig(Config m, Tokenizer tokenizer) {
    int vocab = m.getInt("vocab_size");
    if (vocab < tokenizer.vocabSize()) {
      throw new IllegalArgumentException(
          "model.vocab_size ("
              + vocab
              + ") is smaller than the tokenizer's vocabulary ("
              + tokenizer.vocabSize()
              + ")");
    }
    int hidden = m.getInt("hidden_size");
    int heads = m.getInt("num_attention_heads");
    if (heads < 1) {
      throw new IllegalArgumentException("model.num_attention_heads must be >= 1, got " + heads);
    }
    int headDim = m.getInt("head_dim");
    if (headDim == 0) {
      if (hidden % heads != 0) {
        throw new IllegalArgumentException(
            "model.hidden_size ("
                + hidden
                + ") must be divisible by model.num_attention_heads ("
                + heads
                + ") unless model.head_dim is set (> 0)");
      }
      headDim = hidden / heads;
    }
    return new LlamaConfig(
        vocab,
        hidden,
        m.getInt("intermediate_size"),
        m.getInt("num_hidden_layers"),
        heads,
        m.getInt("num_key_value_heads"),
        headDim,
        m.getDouble("rms_norm_eps"),
        m.getDouble("rope_theta"),
        m.getBoolean("tie_word_embeddings"),
        m.getInt("max_position_embeddings"),
        m.getBoolean("attention_bias"));
  }

  private OptimizerConfig optimizerConfig() {
    Config o = c.getConfig("optimizer");
    return new OptimizerConfig(
        c.getDouble("sft.learning_rate"),
        o.getDouble("beta1"),
        o.getDouble("beta2"),
        o.getDouble("eps"),
        o.getDouble("weight_decay"),
        o.getDouble("grad_clip"));
  }

  private static JsonNode readJson(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("checkpoint trainer_state.json is not valid JSON", e);
    }
  }
}
