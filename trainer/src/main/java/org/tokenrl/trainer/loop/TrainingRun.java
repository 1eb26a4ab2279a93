package org.tokenrl.trainer.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.tokenrl.algorithms.AlgorithmKind;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.sft.SupervisedAlgorithm;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.core.Tokenizers;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.ReferenceScorer;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.model.io.Checkpoint;
import org.tokenrl.model.io.PretrainedModel;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPools;
import org.tokenrl.rollout.Task;
import org.tokenrl.runlog.Console;
import org.tokenrl.runlog.MetricsLog;
import org.tokenrl.runlog.Progress;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.runlog.RunLog;
import org.tokenrl.trainer.preference.PreferenceEval;
import org.tokenrl.trainer.preference.PreferenceSetup;
import org.tokenrl.trainer.setup.ChatFormat;
import org.tokenrl.trainer.setup.MaxNewTokens;
import org.tokenrl.trainer.setup.PretrainedStart;
import org.tokenrl.trainer.setup.PromptCodec;
import org.tokenrl.trainer.setup.StartChecks;

/**
 * A whole run, read top to bottom in {@link #run}: check the config, load or create the policy, an
 * optional SFT warm-up, then the main algorithm, with held-out evaluation, checkpoints, metrics and
 * resume. Global steps count SFT steps first, then main-phase steps.
 */
public final class TrainingRun {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Config c;
  private final RunDirectory dir;
  private final Path projectRoot;
  private final Console console;
  private long stopAfterStep = Long.MAX_VALUE;

  // What the run trains on and for how long (set by prepare()).
  private long seed;
  private Task task;
  private String algorithmName;
  private AlgorithmKind kind;
  private int sftSteps;
  private int mainSteps;
  private long total;

  // The policy and the objects every phase shares (set by startPolicy() and run()).
  private Policy policy;
  private Tokenizer tokenizer;
  private PromptCodec codec;
  private Evaluator evaluator;
  private ExampleStream<Example> examples;
  private ExampleStream<Example> sftExamples; // with quality tags: tagged good and bad answers
  private RunLog log;
  // Arrow memory: one child allocator per user, closed before the root. Closing one with buffers
  // still outstanding throws, so a leak fails the run (and every test of it) and names its owner.
  private BufferAllocator rolloutMemory;
  private BufferAllocator preferenceMemory;
  private Progress progress;
  private RolloutPool pool; // RL only
  private ReferenceScorer reference; // RL with a KL term only
  private PreferenceEval preferenceEval; // preference algorithms only
  private Trainer rl; // RL only
  private SampleTable samples; // the TEXT tab's sample tables

  // Carried from step to step (and across a resume through the checkpoint's trainer state).
  private double lastEval = Double.NaN;
  private double sftAccuracy = Double.NaN;
  private double skippedTotal;
  private volatile long currentStep; // the step in progress, for the message on Ctrl-C
  private final List<String> resumeWarnings = new ArrayList<>();

  /** One optimizer step of a phase, {@code phaseStep} counting from 1; returns its metrics. */
  @FunctionalInterface
  private interface PhaseStep {
    Map<String, Double> step(long phaseStep);
  }

  public TrainingRun(Config config, RunDirectory dir, Path projectRoot, Console console) {
    this.c = config;
    this.dir = dir;
    this.projectRoot = projectRoot;
    this.console = console;
  }

  public TrainingRun(Config config, RunDirectory dir, Path projectRoot) {
    this(config, dir, projectRoot, Console.system());
  }

  /**
   * Stops after this global step as if the process were killed (no final checkpoint): for tests.
   */
  TrainingRun stopAfter(long step) {
    this.stopAfterStep = step;
    return this;
  }

  /** Trains to the configured number of steps; returns the final held-out accuracy. */
  public double run(boolean resume) {
    prepare();
    long done = startPolicy(resume);
    policy.setPassTokens(c.getInt("trainer.micro_batch_tokens"));
    codec = new PromptCodec(tokenizer, ChatFormat.of(c, tokenizer));
    samples = SampleTable.fromConfig(c);
    evaluator =
        new Evaluator(task, c.getInt("trainer.eval_size"), codec, MaxNewTokens.of(c, task))
            .keepSamples(samples.rows());
    examples = new ExampleStream<>(task.train(), seed);
    sftExamples = new ExampleStream<>(task.sftExamples(), seed);

    try (RunLog runLog = new RunLog(dir, resume, console);
        BufferAllocator rootAllocator = new RootAllocator();
        BufferAllocator rollouts =
            rootAllocator.newChildAllocator("rollout batches", 0, Long.MAX_VALUE);
        BufferAllocator pairs =
            rootAllocator.newChildAllocator("preference pairs", 0, Long.MAX_VALUE)) {
      log = runLog;
      rolloutMemory = rollouts;
      preferenceMemory = pairs;
      log.startSession(c, done);
      announce(done);
      progress = new Progress(total, sftSteps);
      // Ctrl-C (or a kill) ends the JVM through its shutdown hooks: say where the run stopped and
      // how to continue it, instead of exiting silently.
      Thread interrupted = new Thread(() -> console.err().println(stoppedMessage()));
      Runtime.getRuntime().addShutdownHook(interrupted);
      try {
        startDistributedPool(done);
        if (!warmUp(done)) {
          return Double.NaN;
        }
        if (!mainPhase(Math.max(done, sftSteps))) {
          return Double.NaN;
        }
      } finally {
        removeHook(interrupted);
        if (pool != null) {
          pool.close();
        }
        if (reference != null) {
          reference.close();
        }
      }
      return finish(done);
    }
  }

  /**
   * Reads what the run trains and runs {@link StartChecks}, so settings, data files, the algorithm
   * and the rewards fail now, not after the warm-up.
   */
  private void prepare() {
    seed = c.getLong("run.seed");
    task = StartChecks.run(c, projectRoot);
    algorithmName = c.getString("algorithm.name");
    kind = Algorithms.kind(algorithmName);
    sftSteps = c.getInt("sft.steps");
    mainSteps = c.getInt("trainer.steps");
    total = (long) sftSteps + mainSteps;
  }

  /**
   * The policy to train: the newest intact checkpoint when resuming, {@code run.init_from}'s
   * weights, or a fresh initialisation. Returns the global steps already done.
   */
  private long startPolicy(boolean resume) {
    tokenizer = CharTokenizer.ascii();
    if (resume) {
      IntactCheckpoint intact = newestIntactCheckpoint();
      policy = intact.loaded().policy();
      tokenizer = Tokenizers.fromJson(intact.loaded().tokenizerJson());
      JsonNode state = intact.state();
      long done = state.path("global_step").asLong();
      sftAccuracy = state.path("sft_eval_accuracy").asDouble(Double.NaN);
      // The checkpoint's copy of its step's metrics line repairs one cut by a crash.
      MetricsLog.repairForResume(
          dir.metrics(),
          done,
          state.hasNonNull("metrics_line") ? state.get("metrics_line").asText() : null);
      return done;
    }
    PretrainedModel pretrained =
        c.getString("model.path").isBlank()
            ? null
            : PretrainedStart.load(c, projectRoot, console.err()::println);
    if (pretrained != null) {
      tokenizer = pretrained.tokenizer();
    }
    ModelSpec spec = pretrained != null ? pretrained.config() : modelConfig(tokenizer);
    if (!c.getString("run.init_from").isBlank()) {
      // run.init_from's weights replace model.path's (which then gives shape and tokenizer).
      policy = initialPolicy(c.getString("run.init_from"), spec, seed);
    } else if (pretrained != null) {
      policy = pretrained.newPolicy(optimizerConfig(), loraConfig(), seed);
    } else {
      policy = Policy.create(spec, optimizerConfig(), seed, loraConfig());
    }
    return 0;
  }

  private void announce(long done) {
    log.info(
        String.format(
            "tokenrl: %s on task %s, model %,d parameters, run dir %s",
            (sftSteps > 0 ? "sft warm-up then " : "") + algorithmName,
            task.name(),
            policy.config().parameterCount(),
            dir.path()));
    resumeWarnings.forEach(log::warn);
    if (done > 0) {
      log.info("resumed from checkpoint at step " + done + " of " + total);
    } else if (!c.getString("run.init_from").isBlank()) {
      log.info("weights initialised from " + c.getString("run.init_from"));
    }
  }

  /**
   * A distributed pool (a Ray cluster) starts before the warm-up, so one that cannot start fails at
   * once instead of after the SFT phase.
   */
  private void startDistributedPool(long done) {
    if (kind == AlgorithmKind.RL
        && done < total
        && !c.getString("distributed.backend").equals(RolloutPools.LOCAL)) {
      pool = RolloutPools.create(new RolloutPoolContext(policy, c, rolloutMemory));
      log.info("rollouts: " + pool.description());
    }
  }

  /** The SFT warm-up's remaining steps (global steps done+1 .. sft.steps). */
  private boolean warmUp(long done) {
    SftTrainer sft =
        new SftTrainer(
            policy,
            sftExamples,
            codec,
            c.getInt("sft.batch_size"),
            LearningRateSchedule.of(
                c.getDouble("sft.learning_rate"),
                c.getInt("sft.warmup_steps"),
                sftSteps,
                "constant"),
            null,
            0);
    return steps("sft", done, sftSteps, 0, sft::step);
  }

  /** The main algorithm's remaining steps (global steps after .. total). */
  private boolean mainPhase(long after) {
    if (after >= total) {
      return true;
    }
    if (after == 0 && sftSteps == 0 && c.getBoolean("trainer.eval_before_train")) {
      evaluateStart();
    }
    long firstPhaseStep = after - sftSteps + 1;
    PhaseStep step =
        switch (kind) {
          case SUPERVISED -> supervisedPhase();
          case PREFERENCE -> preferencePhase();
          case RL -> rlPhase(after, firstPhaseStep);
        };
    return steps(algorithmName, after, total, sftSteps, step);
  }

  /**
   * Held-out accuracy of the starting policy, logged at step 0, when no warm-up measures it: the
   * first point of the curve and the "start" that compare reports (verl's val_before_train).
   */
  private void evaluateStart() {
    lastEval = evaluator.accuracy(policy);
    sftAccuracy = lastEval;
    log.metrics(0, new java.util.LinkedHashMap<>(Map.of("eval/accuracy", lastEval)));
    if (samples.rows() > 0) {
      log.text(SampleTable.EVAL_TAG, samples.eval(evaluator.samples()), 0);
    }
    log.info(String.format("held-out accuracy before training: %.4f", lastEval));
  }

  /** sft or otr on the ground-truth answers, continuing through the warm-up's data. */
  private PhaseStep supervisedPhase() {
    SupervisedAlgorithm algorithm = Algorithms.createSupervised(c.getConfig("algorithm"));
    return new SftTrainer(
            policy,
            sftExamples,
            codec,
            c.getInt("sft.batch_size"),
            mainSchedule(),
            algorithm.oneTokenRollout(),
            sftSteps)
        ::step;
  }

  /** dpo, treg or cdpo on pairs built (or read from the run's cache) now, after the warm-up. */
  private PhaseStep preferencePhase() {
    PreferenceAlgorithm algorithm = Algorithms.createPreference(c.getConfig("algorithm"));
    PreferenceSetup setup =
        PreferenceSetup.prepare(
            c, dir, projectRoot, algorithm, policy, task, codec, preferenceMemory, log, seed);
    PreferenceTrainer preference =
        new PreferenceTrainer(
            policy,
            algorithm,
            setup.data(),
            c.getInt("preference.batch_pairs"),
            mainSchedule(),
            seed);
    preferenceEval = setup.eval();
    log.info(
        String.format(
            "held-out preference pairs at the start: logp accuracy %.4f (%d pairs)",
            preferenceEval.evaluate(policy).getOrDefault("eval/logp_accuracy", Double.NaN),
            preferenceEval.pairs().size()));
    return preference::step;
  }

  /** grpo, tempo or d3s: rollouts from the pool, rewards, credit, clipped objective. */
  private PhaseStep rlPhase(long after, long firstPhaseStep) {
    RlAlgorithm algorithm = Algorithms.create(c.getConfig("algorithm"));
    reference = referencePolicy(algorithm, firstPhaseStep);
    if (pool == null) {
      pool = RolloutPools.create(new RolloutPoolContext(policy, c, rolloutMemory));
      log.info("rollouts: " + pool.description());
    }
    pool.syncWeights(after, policy.weightsToSync());
    Trainer.Parts parts =
        new Trainer.Parts(
            policy,
            reference,
            pool,
            task,
            CompositeReward.fromConfig(c),
            algorithm,
            examples,
            codec);
    rl = new Trainer(parts, rlSettings());
    return rl::step;
  }

  /**
   * Global steps after+1 .. last of one phase: the step, then held-out evaluation, metrics, the
   * progress line and checkpoints. Returns false when stopped early by {@link #stopAfter}.
   */
  private boolean steps(String phase, long after, long last, long phaseStart, PhaseStep stepper) {
    int evalEvery = c.getInt("trainer.eval_every");
    for (long step = after + 1; step <= last; step++) {
      currentStep = step;
      long phaseStep = step - phaseStart;
      Map<String, Double> m = stepper.step(phaseStep);
      if (m.getOrDefault("optim/skipped", 0.0) > 0) {
        skippedTotal += m.get("optim/skipped");
        log.warn(
            "step " + step + ": non-finite loss or gradient; update skipped, weights untouched");
      }
      m.put("optim/skipped_total", skippedTotal);
      boolean runEnd = step == total;
      boolean sftEnd = step == sftSteps;
      boolean evaluated = runEnd || sftEnd || (evalEvery > 0 && phaseStep % evalEvery == 0);
      if (evaluated) {
        lastEval = evaluator.accuracy(policy);
        m.put("eval/accuracy", lastEval);
        if (preferenceEval != null) {
          m.putAll(preferenceEval.evaluate(policy));
        }
        if (samples.rows() > 0) {
          log.text(SampleTable.EVAL_TAG, samples.eval(evaluator.samples()), step);
        }
      }
      if (rl != null && phaseStart == sftSteps && samples.rolloutsAt(phaseStep, evaluated)) {
        log.text(SampleTable.ROLLOUT_TAG, rl.lastSamples(samples), step);
      }
      if (sftEnd) {
        sftAccuracy = lastEval;
        log.info(String.format("held-out accuracy after the SFT warm-up: %.4f", sftAccuracy));
      }
      String metricsLine = log.metrics(step, m);
      if (step % Math.max(1, c.getInt("trainer.progress_every")) == 0 || runEnd) {
        log.info(progress.line(phase, step, m, lastEval));
      }
      if (checkpointAt(step, total)) {
        log.sync(); // the logs up to this step are durable before the checkpoint exists
        saveCheckpoint(step, metricsLine);
      }
      if (step >= stopAfterStep) {
        log.abandon();
        return false;
      }
    }
    return true;
  }

  /** The closing summary; returns the final held-out accuracy. */
  private double finish(long done) {
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
          String.format("held-out accuracy: %.4f (%d eval examples)", lastEval, evaluator.size()));
    }
    log.info("run directory: " + dir.path() + "  (tensorboard --logdir " + dir.path() + ")");
    log.succeeded();
    policy.close();
    return lastEval;
  }

  private record IntactCheckpoint(Checkpoint.Loaded loaded, JsonNode state) {}

  /**
   * The newest checkpoint that loads (checksums, files, trainer state); each newer one that does
   * not is named in a warning. A run whose checkpoints are all damaged cannot resume.
   */
  private IntactCheckpoint newestIntactCheckpoint() {
    List<Path> newestFirst = dir.checkpointsNewestFirst();
    if (newestFirst.isEmpty()) {
      throw new IllegalStateException(
          dir.path() + " has no checkpoint to resume from; start it again without --resume");
    }
    List<String> damaged = new ArrayList<>();
    for (Path candidate : newestFirst) {
      try {
        Checkpoint.Loaded loaded = Checkpoints.load(candidate);
        JsonNode state = readJson(loaded.trainerStateJson());
        if (!damaged.isEmpty()) {
          resumeWarnings.add(
              "checkpoint "
                  + String.join(", ", damaged)
                  + " is damaged; resuming from the newest"
                  + " intact one, "
                  + candidate.getFileName());
        }
        return new IntactCheckpoint(loaded, state);
      } catch (RuntimeException e) {
        damaged.add(candidate.getFileName() + " (" + e.getMessage() + ")");
      }
    }
    throw new IllegalStateException(
        "no intact checkpoint in "
            + dir.checkpoints()
            + " to resume from: "
            + String.join("; ", damaged));
  }

  private String stoppedMessage() {
    String last =
        dir.latestCheckpoint()
            .map(p -> "the last checkpoint is " + p.getFileName())
            .orElse("no checkpoint was written yet");
    return "tokenrl: stopped during step "
        + currentStep
        + " of "
        + total
        + "; "
        + last
        + ". Continue with: ./tokenrl train --resume "
        + dir.path();
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook is running
    }
  }

  /** Whether a checkpoint is written after global step {@code step} of {@code total}. */
  private boolean checkpointAt(long step, long total) {
    int every = c.getInt("trainer.checkpoint_every");
    return step == total || (every > 0 && step % every == 0);
  }

  /** The main phase's learning-rate schedule (trainer.*). */
  private LearningRateSchedule mainSchedule() {
    return LearningRateSchedule.of(
        c.getDouble("trainer.learning_rate"),
        c.getInt("trainer.warmup_steps"),
        mainSteps,
        c.getString("trainer.lr_schedule"));
  }

  /** The trainer.* and rollout.* settings of the RL phase. */
  private Trainer.Settings rlSettings() {
    SamplingParams sampling =
        new SamplingParams(
            c.getDouble("rollout.temperature"),
            c.getInt("rollout.top_k"),
            c.getDouble("rollout.top_p"),
            MaxNewTokens.of(c, task),
            tokenizer.eos(),
            false);
    return new Trainer.Settings(
        c.getInt("trainer.prompts_per_step"),
        c.getInt("trainer.group_size"),
        mainSteps,
        seed,
        c.getString("trainer.dynamic_sampling"),
        c.getInt("trainer.max_sampling_rounds"),
        c.getBoolean("distributed.async"),
        sampling,
        mainSchedule(),
        phaseStep -> checkpointAt(phaseStep + sftSteps, total));
  }

  /** The frozen policy of the RL start, kept on disk so a resumed run uses the same one. */
  private ReferenceScorer referencePolicy(RlAlgorithm algorithm, long phaseStep) {
    if (!algorithm.needsReference()) {
      return null;
    }
    if (policy.lora().enabled()) {
      // No second copy of the base: the base with adapters off, or (after an SFT warm-up) with
      // a frozen copy of the warm-up's adapters.
      return policy.referenceView(sftSteps > 0);
    }
    Path path = dir.referenceCheckpoint();
    Policy reference;
    if (Files.isDirectory(path) && phaseStep > 1) {
      reference = Checkpoints.load(path).policy();
    } else {
      Checkpoints.save(path, policy, tokenizer.toJson(), "{}");
      reference = policy.copy();
    }
    reference.setPassTokens(policy.passTokens());
    return ReferenceScorer.frozen(reference);
  }

  private void saveCheckpoint(long step, String metricsLine) {
    ObjectNode state = JSON.createObjectNode();
    state.put("global_step", step);
    state.put("metrics_line", metricsLine);
    if (!Double.isNaN(sftAccuracy)) {
      state.put("sft_eval_accuracy", sftAccuracy);
    }
    Checkpoints.save(dir.checkpoint(step), policy, tokenizer.toJson(), state.toString());
    dir.pruneCheckpoints(c.getInt("trainer.keep_checkpoints"));
  }

  /**
   * A fresh policy (new optimizer state) holding the weights of {@code from}: a checkpoint
   * directory, or a run directory whose newest checkpoint is used. E.g. several algorithms compared
   * from one shared SFT start.
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
            "run.init_from = "
                + from
                + " holds a model "
                + loaded.config()
                + " but the config's model block describes "
                + expected
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
      case "gpt" ->
          new GptConfig(
              tokenizer.vocabSize(),
              m.getInt("d_model"),
              m.getInt("layers"),
              m.getInt("heads"),
              m.getInt("d_ff"),
              m.getInt("max_seq_len"));
      case "llama" -> llamaConfig(m, tokenizer);
      default ->
          throw new IllegalArgumentException("model.arch must be gpt or llama, got '" + arch + "'");
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

  /** model.lora: rank 0 = full fine-tuning. */
  private LoraConfig loraConfig() {
    Config l = c.getConfig("model.lora");
    int rank = l.getInt("rank");
    if (rank < 0) {
      throw new ConfigException("config error: 'model.lora.rank' must be >= 0, got " + rank);
    }
    double dropout = l.getDouble("dropout");
    if (!(dropout >= 0 && dropout < 1)) {
      throw new ConfigException(
          "config error: 'model.lora.dropout' must be in [0, 1), got " + dropout);
    }
    List<String> targets = l.getStringList("targets");
    if (rank > 0 && targets.isEmpty()) {
      throw new ConfigException("config error: 'model.lora.targets' is empty");
    }
    return rank == 0
        ? LoraConfig.NONE
        : new LoraConfig(rank, l.getDouble("alpha"), dropout, targets);
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
