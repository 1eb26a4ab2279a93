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
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.sft.SupervisedAlgorithm;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.core.Tokenizers;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.ReferenceScorer;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.model.io.Checkpoint;
import org.tokenrl.model.io.PretrainedModel;
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
import org.tokenrl.trainer.setup.PretrainedStart;
import org.tokenrl.trainer.setup.PromptCodec;
import org.tokenrl.trainer.setup.RunSpec;
import org.tokenrl.trainer.setup.RunStart;
import org.tokenrl.trainer.setup.StartChecks;

/**
 * A whole run, read top to bottom in {@link #run}: check the config, load or create the policy, an
 * optional SFT warm-up, then the main algorithm, with held-out evaluation, checkpoints, metrics and
 * resume. Global steps count SFT steps first, then main-phase steps.
 *
 * <p>Length: the whole run reads top to bottom here (start, warm-up, main phase, evaluation,
 * checkpoints, resume); each phase is a short method, and splitting them across files would hide
 * the order.
 */
public final class TrainingRun {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final RunDirectory dir;
  private final Path projectRoot;
  private final Console console;
  private long stopAfterStep = Long.MAX_VALUE;

  // What the run trains on and for how long: the checked config and what was built from it.
  private final RunStart start;
  private final RunSpec spec;
  private final Task task;
  private final long seed;
  private final String algorithmName;
  private final AlgorithmKind kind;
  private final int sftSteps;
  private final int mainSteps;
  private final long total;
  private final ExampleStream<Example> examples;
  private final ExampleStream<Example> sftExamples; // with quality tags: good and bad answers
  private final SampleTable samples; // the TEXT tab's sample tables

  // The policy and the objects every phase shares (set by startPolicy() and run()).
  private Policy policy;
  private Tokenizer tokenizer;
  private PromptCodec codec;
  private Evaluator evaluator;
  private RunLog log;
  // Arrow memory: one child allocator per user, closed before the root. Closing one with buffers
  // still outstanding throws, so a leak fails the run (and every test of it) and names its owner.
  private BufferAllocator rolloutMemory;
  private BufferAllocator preferenceMemory;
  private final long startNanos = System.nanoTime();
  private RolloutPool pool; // RL only
  private ReferenceScorer reference; // RL with a KL term only
  private PreferenceEval preferenceEval; // preference algorithms only
  private RlTrainer.StepResult lastRlStep; // RL only: for the TEXT tab's rollout table
  private RolloutArchive rolloutArchive; // RL only: rollouts/step-NNNNNN.arrow
  private final NoSignalWatch noSignal = new NoSignalWatch(); // RL only: warns when nothing learns

  // Carried from step to step (and across a resume through the checkpoint's trainer state).
  private double lastEval = Double.NaN;
  private long lastEvalStep = -1;
  private double bestEval = Double.NaN; // this session's best held-out accuracy, and its step
  private long bestEvalStep = -1;
  private String bestEvalAt = ""; // e.g. "grpo step 40"
  private double sftAccuracy = Double.NaN;
  private double skippedTotal;
  private volatile long currentStep; // the step in progress, for the message on Ctrl-C
  private final List<String> resumeWarnings = new ArrayList<>();

  /** One optimizer step of a phase, {@code phaseStep} counting from 1; returns its metrics. */
  @FunctionalInterface
  private interface PhaseStep {
    Map<String, Double> step(long phaseStep);
  }

  /**
   * A run of what {@link StartChecks#run} built and checked (the CLI does so before it creates the
   * run directory).
   */
  public TrainingRun(RunStart start, RunDirectory dir, Console console) {
    this.start = start;
    this.spec = start.spec();
    this.dir = dir;
    this.projectRoot = start.projectRoot();
    this.console = console;
    this.task = start.task();
    this.seed = spec.run().seed();
    this.algorithmName = spec.algorithmName();
    this.kind = spec.kind();
    this.sftSteps = spec.sft().steps();
    this.mainSteps = spec.trainer().steps();
    this.total = spec.totalSteps();
    this.examples = new ExampleStream<>(task.train(), seed);
    this.sftExamples = new ExampleStream<>(task.sftExamples(), seed);
    this.samples = SampleTable.of(spec.samples());
  }

  /**
   * Runs {@link StartChecks} on {@code config} (a resumed run's, or a test's), so settings, data
   * files, the algorithm and the rewards fail now, not after the warm-up.
   */
  public TrainingRun(Config config, RunDirectory dir, Path projectRoot, Console console) {
    this(StartChecks.run(config, projectRoot, console.err()::println), dir, console);
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
    long done = startPolicy(resume);
    // A pretrained model arrives as float[] on the heap (540 MB for SmolLM2-135M), garbage once
    // imported: a full collection now lets the heap shrink before training's native memory grows.
    System.gc();
    policy.setPassTokens(spec.trainer().microBatchTokens());
    policy.setPassLayout(spec.trainer().passLayout());
    codec = new PromptCodec(tokenizer, ChatFormat.of(spec.chat(), spec.model().path(), tokenizer));
    RunSpec.Evaluation e = spec.eval();
    evaluator =
        new Evaluator(task, e.size(), codec, spec.rollout().maxNewTokens(task))
            .sampled(
                new Evaluator.Sampled(
                    e.samples(), e.temperature(), e.topP(), e.topK(), spec.run().seed()))
            .keepSamples(samples.rows())
            .withMultiTurn( // rollout.env: held-out prompts are answered with the environment too
                kind == AlgorithmKind.RL
                    ? org.tokenrl.rollout.env.MultiTurn.driver(start.resolved(), tokenizer)
                    : null);

    try (RunLog runLog = new RunLog(dir, resume, console);
        BufferAllocator rootAllocator = new RootAllocator();
        BufferAllocator rollouts =
            rootAllocator.newChildAllocator("rollout batches", 0, Long.MAX_VALUE);
        BufferAllocator pairs =
            rootAllocator.newChildAllocator("preference pairs", 0, Long.MAX_VALUE)) {
      log = runLog;
      rolloutMemory = rollouts;
      preferenceMemory = pairs;
      log.startSession(RunHParams.of(start.resolved(), dir.path()), done);
      log.layout(RunLayout.of(kind, sftSteps > 0), done);
      announce(done);
      // Ctrl-C (or a kill) ends the JVM through its shutdown hooks: say where the run stopped and
      // how to continue it, instead of exiting silently.
      // (On a terminal the progress line has no newline yet: the message starts on its own line.)
      Thread interrupted =
          new Thread(
              () -> console.err().println((console.terminal() ? "\n" : "") + stoppedMessage()));
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
      RolloutArchive.repairForResume(dir, done);
      return done;
    }
    // PretrainedStart compares the model block with the model's own config, naming where each
    // disagreeing key was set: it reads the resolved config for the keys' origins.
    PretrainedModel pretrained =
        spec.model().pretrained()
            ? PretrainedStart.load(start.resolved(), projectRoot, console.err()::println)
            : null;
    if (pretrained != null) {
      tokenizer = pretrained.tokenizer();
    }
    ModelSpec shape = pretrained != null ? pretrained.config() : spec.model().spec(tokenizer);
    if (spec.run().initialised()) {
      // run.init_from's weights replace model.path's (which then gives shape and tokenizer).
      policy = initialPolicy(spec.run().initFrom(), shape, seed);
    } else if (pretrained != null) {
      policy = pretrained.newPolicy(optimizerConfig(), spec.model().lora(), seed);
    } else {
      policy = Policy.create(shape, optimizerConfig(), seed, spec.model().lora());
    }
    return 0;
  }

  /**
   * The start banner: what runs for how long, the model's trainable and total parameters (PEFT's
   * format), where it computes, and the run directory.
   */
  private void announce(long done) {
    log.info(
        String.format(
            "tokenrl: %s on task %s (%s)",
            (sftSteps > 0 ? "sft warm-up then " : "") + algorithmName,
            task.name(),
            (sftSteps > 0 ? sftSteps + " sft steps, then " : "")
                + mainSteps
                + " "
                + algorithmName
                + " steps"));
    log.info(
        String.format(
            "model: %s %s | %s",
            spec.model().pretrained() ? "pretrained" : "fresh",
            policy.config().getClass().getSimpleName().replace("Config", "").toLowerCase(),
            ParameterCount.of(policy)));
    log.info("device: " + org.tokenrl.model.Device.description());
    log.info("run dir: " + dir.path() + "  (tensorboard --logdir " + dir.path() + ")");
    resumeWarnings.forEach(log::warn);
    log.info("update passes: " + policy.passLayoutNote());
    if (done > 0) {
      log.info("resumed from checkpoint at step " + done + " of " + total);
    } else if (spec.run().initialised()) {
      log.info("weights initialised from " + spec.run().initFrom());
    }
  }

  /**
   * A distributed pool (a Ray cluster) starts before the warm-up, so one that cannot start fails at
   * once instead of after the SFT phase.
   */
  private void startDistributedPool(long done) {
    if (kind == AlgorithmKind.RL
        && done < total
        && !spec.distributed().backend().equals(RolloutPools.LOCAL)) {
      pool =
          RolloutPools.create(
              new RolloutPoolContext(policy, start.resolved(), rolloutMemory, tokenizer));
      log.info("rollouts: " + pool.description());
    }
  }

  private SftData sftData; // built once the tokenizer is known

  /** The task's (prompt, answer) pairs, or sft.data's conversations rendered by the template. */
  private SftData sftData() {
    if (sftData == null) {
      if (org.tokenrl.trainer.setup.SftConversations.enabled(start.resolved())) {
        var rows =
            org.tokenrl.trainer.setup.SftConversations.load(
                start.resolved(), projectRoot, tokenizer);
        log.info(
            "sft data: "
                + rows.size()
                + " conversations from "
                + start.resolved().getString("sft.data")
                + " (loss on the assistant's tokens only)");
        sftData = SftData.conversations(new ExampleStream<>(rows, seed));
      } else {
        sftData = SftData.answers(sftExamples, codec);
      }
    }
    return sftData;
  }

  /** The SFT warm-up's remaining steps (global steps done+1 .. sft.steps). */
  private boolean warmUp(long done) {
    SftTrainer sft =
        new SftTrainer(
            policy,
            sftData(),
            spec.sft().batchSize(),
            LearningRateSchedule.of(
                spec.sft().learningRate(), spec.sft().warmupSteps(), sftSteps, "constant"),
            null,
            0);
    return steps("sft", done, sftSteps, 0, sft::step);
  }

  /** The main algorithm's remaining steps (global steps after .. total). */
  private boolean mainPhase(long after) {
    if (after >= total) {
      return true;
    }
    if (after == 0 && sftSteps == 0 && spec.eval().beforeTrain()) {
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
    Map<String, Double> scores = evaluator.evaluate(policy);
    lastEval = scores.get(Metrics.EVAL_ACCURACY);
    sftAccuracy = lastEval;
    log.metrics(0, new java.util.LinkedHashMap<>(scores));
    if (samples.rows() > 0) {
      log.text(SampleTable.EVAL_TAG, samples.eval(evaluator.samples()), 0);
    }
    log.info(String.format("held-out accuracy before training: %.4f", lastEval));
  }

  /** sft or otr on the ground-truth answers, continuing through the warm-up's data. */
  private PhaseStep supervisedPhase() {
    SupervisedAlgorithm algorithm = start.supervised();
    return new SftTrainer(
            policy,
            sftData(),
            spec.sft().batchSize(),
            mainSchedule(),
            algorithm.oneTokenRollout(),
            sftSteps)
        ::step;
  }

  /** dpo, treg or cdpo on pairs built (or read from the run's cache) now, after the warm-up. */
  private PhaseStep preferencePhase() {
    PreferenceAlgorithm algorithm = start.preference();
    PreferenceSetup setup =
        PreferenceSetup.prepare(
            new PreferenceSetup.Inputs(start, dir, policy, codec, preferenceMemory, log));
    PreferenceTrainer preference =
        new PreferenceTrainer(
            policy, algorithm, setup.data(), spec.preference().batchPairs(), mainSchedule(), seed);
    preferenceEval = setup.eval();
    log.info(
        String.format(
            "held-out preference pairs at the start: logp accuracy %.4f (%d pairs)",
            preferenceEval.evaluate(policy).getOrDefault(Metrics.EVAL_LOGP_ACCURACY, Double.NaN),
            preferenceEval.pairs().size()));
    return preference::step;
  }

  /** grpo, tempo or d3s: rollouts from the pool, rewards, credit, clipped objective. */
  private PhaseStep rlPhase(long after, long firstPhaseStep) {
    RlAlgorithm algorithm = start.rl();
    reference = referencePolicy(algorithm, firstPhaseStep);
    if (pool == null) {
      pool =
          RolloutPools.create(
              new RolloutPoolContext(policy, start.resolved(), rolloutMemory, tokenizer));
      log.info("rollouts: " + pool.description());
    }
    pool.syncWeights(after, policy.weightsToSync());
    RlTrainer.Parts parts =
        new RlTrainer.Parts(
            policy, reference, pool, task, start.rewards(), algorithm, examples, codec);
    RlTrainer rl = new RlTrainer(parts, rlSettings());
    rolloutArchive =
        new RolloutArchive(
            dir,
            org.tokenrl.trainer.setup.SaveRollouts.every(start.resolved()),
            intOr("trainer.rollouts_max_mb", 1024) * 1024L * 1024L,
            algorithmName,
            start.rewards(),
            spec.trainer().dynamicSampling(),
            codec);
    return phaseStep -> (lastRlStep = rl.step(phaseStep)).metrics();
  }

  /**
   * Global steps after+1 .. last of one phase: the step, then held-out evaluation, metrics, the
   * progress line and checkpoints. Returns false when stopped early by {@link #stopAfter}.
   */
  private boolean steps(String phase, long after, long last, long phaseStart, PhaseStep stepper) {
    Progress progress = new Progress(phase, last - phaseStart);
    try {
      return stepsOf(progress, after, last, phaseStart, stepper);
    } finally {
      log.endProgress(); // on a terminal, the phase's line stays as it ended
    }
  }

  private boolean stepsOf(
      Progress progress, long after, long last, long phaseStart, PhaseStep stepper) {
    String phase = progress.phase();
    for (long step = after + 1; step <= last; step++) {
      currentStep = step;
      long phaseStep = step - phaseStart;
      Map<String, Double> m = stepper.step(phaseStep);
      List<String> warnings = new ArrayList<>();
      if (m.getOrDefault(Metrics.OPTIM_SKIPPED, 0.0) > 0) {
        skippedTotal += m.get(Metrics.OPTIM_SKIPPED);
        warnings.add(
            "step " + step + ": non-finite loss or gradient; update skipped, weights untouched");
      }
      m.put(Metrics.OPTIM_SKIPPED_TOTAL, skippedTotal);
      if (lastRlStep != null && phaseStart == sftSteps) {
        noSignal.observe(step, m).ifPresent(warnings::add);
        if (rolloutArchive.at(phaseStep)) {
          rolloutArchive.save(step, phaseStep, lastRlStep);
        }
      }
      warnings.forEach(log::warn);
      if (!warnings.isEmpty()) {
        // the same lines in the TEXT tab, at their step, for whoever reads the run in TensorBoard
        log.text(Metrics.NOTES_WARNINGS, String.join("\n\n", warnings), step);
      }
      boolean runEnd = step == total;
      boolean sftEnd = step == sftSteps;
      boolean evaluated = runEnd || sftEnd || spec.eval().at(phaseStep);
      if (evaluated) {
        Map<String, Double> scores = evaluator.evaluate(policy);
        lastEval = scores.get(Metrics.EVAL_ACCURACY);
        lastEvalStep = step;
        if (!(bestEval >= lastEval)) {
          bestEval = lastEval;
          bestEvalStep = step;
          bestEvalAt = phase + " step " + phaseStep;
        }
        m.putAll(scores);
        if (preferenceEval != null) {
          m.putAll(preferenceEval.evaluate(policy));
        }
        if (samples.rows() > 0) {
          log.text(SampleTable.EVAL_TAG, samples.eval(evaluator.samples()), step);
        }
      }
      if (lastRlStep != null
          && phaseStart == sftSteps
          && samples.rolloutsAt(phaseStep, evaluated)) {
        log.text(
            SampleTable.ROLLOUT_TAG,
            lastRlStep.rolloutTable(samples, codec, spec.trainer().dynamicSampling()),
            step);
      }
      String metricsLine = log.metrics(step, m);
      progress.stepDone(phaseStep);
      boolean plain = spec.trainer().progressAt(step, total) || phaseStep == 1 || step == last;
      log.progress(progress.line(m, true), progress.line(m, false), plain);
      if (sftEnd) {
        sftAccuracy = lastEval;
        log.info(String.format("held-out accuracy after the SFT warm-up: %.4f", sftAccuracy));
      } else if (evaluated) {
        log.info(evalLine(phase, phaseStep, progress.steps()));
      }
      if (spec.checkpoint().at(step, total)) {
        log.sync(); // the logs up to this step are durable before the checkpoint exists
        saveCheckpoint(step, metricsLine);
        log.info(
            String.format(
                "[%s] checkpoint %s (step %d/%d)",
                phase, dir.checkpoint(step).getFileName(), phaseStep, progress.steps()));
      }
      if (step >= stopAfterStep) {
        log.abandon();
        return false;
      }
    }
    return true;
  }

  /** One evaluation's line: the accuracy, and the best so far when it is not this one. */
  private String evalLine(String phase, long phaseStep, long phaseSteps) {
    String best =
        bestEvalStep == lastEvalStep
            ? " (best so far)"
            : String.format(" (best %.4f at %s)", bestEval, bestEvalAt);
    return String.format(
        "[%s] eval at step %d/%d: held-out accuracy %.4f%s",
        phase, phaseStep, phaseSteps, lastEval, best);
  }

  /**
   * The closing summary: wall time, the last and best held-out accuracy, the checkpoint to use;
   * returns the final held-out accuracy.
   */
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
    String best = bestEvalStep < 0 ? "" : String.format(", best %.4f at %s", bestEval, bestEvalAt);
    log.info(
        String.format(
            "done in %s: last held-out accuracy %.4f%s",
            Progress.duration((System.nanoTime() - startNanos) / 1e9), lastEval, best));
    dir.latestCheckpoint().ifPresent(c -> log.info("checkpoint to use: " + c));
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
    String stopped = "tokenrl: stopped during step " + currentStep + " of " + total + "; ";
    return dir.latestCheckpoint()
        .map(
            p ->
                stopped
                    + "the last checkpoint is "
                    + p.getFileName()
                    + ". Continue with: ./tokenrl train --resume "
                    + dir.path())
        // Nothing to resume yet: the same train command starts over in the same directory.
        .orElse(
            stopped
                + "no checkpoint was written yet, so there is nothing to resume: run the same"
                + " train command again to start over");
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook is running
    }
  }

  /** The main phase's learning-rate schedule (trainer.*). */
  private LearningRateSchedule mainSchedule() {
    RunSpec.Main t = spec.trainer();
    return LearningRateSchedule.of(t.learningRate(), t.warmupSteps(), mainSteps, t.lrSchedule());
  }

  /** The trainer.* and rollout.* settings of the RL phase. */
  private RlTrainer.Settings rlSettings() {
    RunSpec.Rollout r = spec.rollout();
    SamplingParams sampling =
        new SamplingParams(
            r.temperature(), r.topK(), r.topP(), r.maxNewTokens(task), tokenizer.eos(), false);
    RunSpec.Main t = spec.trainer();
    return new RlTrainer.Settings(
        t.promptsPerStep(),
        t.groupSize(),
        mainSteps,
        seed,
        t.dynamicSampling(),
        t.maxSamplingRounds(),
        spec.distributed().async(),
        sampling,
        mainSchedule(),
        spec::checkpointAfterMainStep);
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
    reference.setPassLayout(policy.passLayout());
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
    dir.pruneCheckpoints(spec.checkpoint().keep());
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

  /** An integer key of the run config, or {@code fallback} for a config written before it. */
  private int intOr(String key, int fallback) {
    return start.resolved().hasPath(key) ? start.resolved().getInt(key) : fallback;
  }

  /** AdamW from optimizer.*; the learning rate each step uses is its phase's schedule's. */
  private OptimizerConfig optimizerConfig() {
    return spec.optimizer().config(spec.sft().learningRate());
  }

  private static JsonNode readJson(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("checkpoint trainer_state.json is not valid JSON", e);
    }
  }
}
