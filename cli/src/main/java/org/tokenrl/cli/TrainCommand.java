package org.tokenrl.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.DurableFiles;
import org.tokenrl.core.Plugins;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.core.ResolvedConfig;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.runlog.RunLock;
import org.tokenrl.trainer.loop.TrainingRun;
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
      resolved config), metrics.jsonl, TensorBoard events, train.log, checkpoints/.

      examples:
        ./tokenrl train configs/quickstart.conf
        ./tokenrl train configs/quickstart.conf algorithm=tempo trainer.steps=100
        ./tokenrl train --resume runs/quickstart-20261123-101500
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
    ResolvedConfig resolved;
    RunDirectory dir;
    RunStart start = null; // a new run's, built and checked before its directory exists
    // The run's exclusive lock on its directory, held until this command returns (the OS drops it
    // if the process dies): a second train, --resume, eval or export there is refused.
    RunLock lock = null;
    try {
      try {
        if (resume != null) {
          if (runFile != null || !overrides.isEmpty()) {
            return fail("--resume takes only the run directory; its config.conf is reused");
          }
          dir = RunDirectory.existing(resume);
          lock = dir.lock();
          resolved = ConfigLoader.loadResolved(dir.config());
          Plugins.install(resolved.config());
        } else {
          if (runFile == null) {
            return fail("missing run config (see ./tokenrl train --help)");
          }
          resolved = ConfigLoader.load(configRoot(runFile), runFile, overrides);
          Plugins.install(resolved.config());
          // Everything that can be checked is, before the run directory exists.
          start = StartChecks.run(resolved.config(), ProjectRoot.get());
          Path path =
              RunDirectory.pathFor(
                  resolved.config().getString("trainer.run_dir"),
                  resolved.config().getString("run.name"));
          lock = new RunDirectory(path).lock();
          dir = RunDirectory.create(path);
          DurableFiles.writeString(dir.config(), resolved.render());
        }
        dir.cleanLeftovers(); // staging directories of a checkpoint save a kill -9 interrupted
      } catch (ConfigException e) {
        throw e;
      } catch (Exception e) {
        return fail(e.getMessage());
      }
      try {
        // A resumed run checks its config.conf itself, in the same order as a new run.
        TrainingRun run =
            start != null
                ? new TrainingRun(start, dir, console())
                : new TrainingRun(resolved.config(), dir, ProjectRoot.get(), console());
        run.run(resume != null);
      } catch (IllegalArgumentException | IllegalStateException e) {
        // Bad settings the config schema cannot see (an algorithm value out of range, a data file
        // with no usable pairs): one line that says what to change, no stack trace.
        return fail(e.getMessage());
      }
      return 0;
    } finally {
      if (lock != null) {
        lock.close();
      }
    }
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
