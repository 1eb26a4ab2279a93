package org.tokenrl.cli;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.DurableFiles;
import org.tokenrl.core.Plugins;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.core.ResolvedConfig;
import org.tokenrl.runlog.MetricsLog;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.runlog.RunLock;
import org.tokenrl.trainer.loop.TrainingRun;
import org.tokenrl.trainer.setup.RunInputs;
import org.tokenrl.trainer.setup.RunStart;
import org.tokenrl.trainer.setup.StartChecks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./tokenrl train <config> [key=value ...] [--resume RUN_DIR]}. */
@Command(
    name = "train",
    description = "train a policy from a config (SFT warm-up, then GRPO/D3S/TEMPO/DPO/...)",
    footer = TrainCommand.DETAILS)
final class TrainCommand extends CliCommand {
  static final String DETAILS =
      """

      An optional SFT warm-up (sft.steps) runs first, then the algorithm chosen by the
      'algorithm' config group (grpo, d3s, tempo, dpo, treg, cdpo, sft, otr), with held-out
      evaluation, checkpoints, TensorBoard events and metrics.jsonl in a run directory.

      Configuration is HOCON, composed like Hydra:
        configs/base.conf           every key with its default and a comment
        configs/<group>/<name>.conf config groups: algorithm/, task/, model/
        <run config>                picks groups in 'defaults { ... }' and overrides values
      Overrides after the run config, applied last:
        group=name      select a group file, e.g. algorithm=tempo task=reverse model=small
        a.b.c=value     set a key, e.g. trainer.steps=50 rollout.temperature=0.7
      An unknown key or a wrong type stops before any work (exit code 2).

      The run directory is runs/<run.name>-<time>/ (or trainer.run_dir=...): config.conf (the
      resolved config), metrics.jsonl, TensorBoard events, train.log, checkpoints/, and
      inputs.json (the config values and input files' digests --resume checks).

      --resume refuses a run whose config.conf or input files (data, python rewards, plugins)
      changed since it started, naming each change; trainer.steps (to extend a run), the
      evaluation, checkpoint, logging and memory/parallelism keys may change freely.

      examples:
        ./tokenrl train configs/quickstart.conf
        ./tokenrl train configs/quickstart.conf algorithm=tempo trainer.steps=100
        ./tokenrl train --resume runs/quickstart-20261123-101500
        ./tokenrl train --resume runs/quickstart-20261123-101500 --allow-changed task.path
        tensorboard --logdir runs\
      """;

  @Option(
      names = "--resume",
      paramLabel = "<run dir>",
      description = "continue a stopped run from its last checkpoint (reuses its config.conf)")
  private Path resume;

  @Parameters(
      paramLabel = "<run config> [key=value ...]",
      description = "the run config, then overrides applied last")
  private List<String> words = new ArrayList<>();

  @Option(
      names = "--allow-changed",
      split = ",",
      paramLabel = "<key>",
      description =
          "with --resume: accept these changed inputs (config keys such as"
              + " trainer.learning_rate, data keys such as task.path; 'all' for every change)")
  private List<String> allowChanged = new ArrayList<>();

  private RunDirectory started; // the run's directory once training began, for afterFailure

  /** A run that stopped after a checkpoint continues from it: the line says how. */
  @Override
  String afterFailure() {
    if (started == null) {
      return "";
    }
    return started
        .latestCheckpoint()
        .map(
            p ->
                "; the last checkpoint is "
                    + p.getFileName()
                    + ", continue with ./tokenrl train --resume "
                    + started.path())
        .orElse("");
  }

  @Override
  int execute() throws Exception {
    Path runFile = null;
    List<String> overrides = new ArrayList<>();
    for (String a : words) {
      if (a.contains("=")) {
        overrides.add(a);
      } else if (runFile == null) {
        runFile = Path.of(a);
      } else {
        return fail("unexpected argument '" + a + "' (overrides look like key=value)");
      }
    }
    if (!allowChanged.isEmpty() && resume == null) {
      return fail("--allow-changed goes with --resume <run dir>");
    }
    ResolvedConfig resolved;
    RunDirectory dir;
    RunStart start = null; // a new run's, built and checked before its directory exists
    RunInputs inputs = null; // a resumed run's, recorded once its start checks pass
    // The run's exclusive lock on its directory, held until this command returns (the OS drops it
    // if the process dies): a second train, --resume, eval or export there is refused.
    RunLock lock = null;
    try {
      if (resume != null) {
        if (runFile != null || !overrides.isEmpty()) {
          return fail("--resume takes only the run directory; its config.conf is reused");
        }
        dir = RunDirectory.existing(resume);
        lock = dir.lock();
        resolved = ConfigLoader.loadResolved(dir.config());
        Plugins.install(resolved.config());
        inputs = checkInputs(dir, resolved.config());
      } else {
        if (runFile == null) {
          return fail("missing run config (see ./tokenrl train --help)");
        }
        resolved = ConfigLoader.load(configRoot(runFile), runFile, overrides);
        Plugins.install(resolved.config());
        // Everything that can be checked is, before the run directory exists.
        start = StartChecks.run(resolved.config(), ProjectRoot.get(), console().err()::println);
        Path path =
            RunDirectory.pathFor(
                resolved.config().getString("trainer.run_dir"),
                resolved.config().getString("run.name"));
        lock = new RunDirectory(path).lock();
        dir = RunDirectory.create(path);
        DurableFiles.writeString(dir.config(), resolved.render());
        // Recorded from config.conf as written, so a resume reads its values the same way.
        RunInputs.of(ConfigLoader.loadResolved(dir.config()).config(), ProjectRoot.get())
            .write(dir.path());
      }
      traceTo(dir.trainLog()); // an internal error's trace goes to the run's log from now on
      dir.cleanLeftovers(); // staging directories of a checkpoint save a kill -9 interrupted
      // A resumed run checks its config.conf itself, in the same order as a new run.
      TrainingRun run =
          start != null
              ? new TrainingRun(start, dir, console())
              : new TrainingRun(resolved.config(), dir, ProjectRoot.get(), console());
      if (inputs != null) {
        // The resumed run passed its start checks: what it now runs on becomes the record.
        inputs.write(dir.path());
        if (!accepted.isEmpty()) {
          console()
              .out()
              .println("tokenrl: resuming with changed inputs (--allow-changed): " + accepted);
        }
      }
      started = dir;
      run.run(resume != null);
      return 0;
    } finally {
      if (lock != null) {
        lock.close();
      }
    }
  }

  /**
   * A resume continues the experiment the run started: its config values and input files must be
   * the ones recorded at its start (inputs.json), except keys that may change on resume and those
   * given to --allow-changed. Accepted changes become the new record.
   */
  private RunInputs checkInputs(RunDirectory dir, Config config) {
    RunInputs now = RunInputs.of(config, ProjectRoot.get());
    RunInputs recorded = RunInputs.read(dir.path());
    List<RunInputs.Change> changes = new ArrayList<>();
    if (recorded != null) {
      changes.addAll(now.changesSince(recorded, Set.of()));
    }
    // The metrics history up to the checkpoint is an input too: a resume would drop what a cut or
    // edited metrics.jsonl lacks.
    dir.latestCheckpoint()
        .flatMap(p -> MetricsLog.gapBefore(dir.metrics(), stepOf(p)))
        .ifPresent(gap -> changes.add(new RunInputs.Change("metrics", gap)));
    List<RunInputs.Change> refused = new ArrayList<>(changes);
    refused.removeIf(
        c ->
            allowChanged.contains("all")
                || allowChanged.contains(c.key())
                || allowChanged.contains(c.key().replaceAll("[.\\[].*$", "")));
    RunInputs.refuse(dir.path(), refused);
    accepted = changes;
    return now;
  }

  private List<RunInputs.Change> accepted = List.of(); // by --allow-changed, said once it starts

  /** The global step of a checkpoint directory {@code step-NNNNNNN}. */
  private static long stepOf(Path checkpoint) {
    return Long.parseLong(checkpoint.getFileName().toString().substring("step-".length()));
  }

  /** The configs/ directory holding base.conf: the run config's folder or one above it. */
  static Path configRoot(Path runFile) {
    for (Path p = runFile.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("base.conf"))) {
        return p;
      }
      if (Files.isRegularFile(p.resolve("configs/base.conf"))) {
        return p.resolve("configs");
      }
    }
    return ProjectRoot.get().resolve("configs");
  }
}
