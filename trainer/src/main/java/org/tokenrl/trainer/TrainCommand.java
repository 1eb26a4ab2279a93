package org.tokenrl.trainer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.DurableFiles;
import org.tokenrl.core.ResolvedConfig;

/** {@code ./tokenrl train <config> [key=value ...] [--resume RUN_DIR]}. */
final class TrainCommand implements Command {
  static final String HELP =
      """
      usage: ./tokenrl train <run config> [overrides ...]
             ./tokenrl train --resume <run dir>

      Trains a policy: an optional SFT warm-up (sft.steps), then the algorithm chosen by the
      'algorithm' config group (grpo, d3s, tempo, dpo, treg, cdpo, sft, otr), with held-out evaluation,
      checkpoints, TensorBoard events and metrics.jsonl in a run directory.

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

      options:
        --resume <run dir>   continue a stopped run from its last checkpoint
        --help               this text

      examples:
        ./tokenrl train configs/quickstart.conf
        ./tokenrl train configs/quickstart.conf algorithm=tempo trainer.steps=100
        ./tokenrl train --resume runs/quickstart-20261123-101500
        tensorboard --logdir runs
      """;

  @Override
  public String name() {
    return "train";
  }

  @Override
  public String summary() {
    return "train a policy from a config (SFT warm-up, then GRPO/D3S/TEMPO/DPO/T-REG/cDPO/OTR)";
  }

  @Override
  public int run(String[] args) {
    Path resume = null;
    Path runFile = null;
    List<String> overrides = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        System.out.print(HELP);
        return 0;
      } else if (a.equals("--resume")) {
        if (i + 1 >= args.length) {
          System.err.println("tokenrl train: --resume needs a run directory");
          return 2;
        }
        resume = Path.of(args[++i]);
      } else if (a.startsWith("--")) {
        System.err.println("tokenrl train: unknown option " + a + " (see ./tokenrl train --help)");
        return 2;
      } else if (a.contains("=")) {
        overrides.add(a);
      } else if (runFile == null) {
        runFile = Path.of(a);
      } else {
        System.err.println(
            "tokenrl train: unexpected argument '" + a + "' (overrides look like key=value)");
        return 2;
      }
    }
    ResolvedConfig resolved;
    RunDirectory dir;
    try {
      if (resume != null) {
        if (runFile != null || !overrides.isEmpty()) {
          System.err.println(
              "tokenrl train: --resume takes only the run directory; its config.conf is reused");
          return 2;
        }
        dir = RunDirectory.existing(resume);
        resolved = ConfigLoader.loadResolved(dir.config());
      } else {
        if (runFile == null) {
          System.err.println("tokenrl train: missing run config (see ./tokenrl train --help)");
          return 2;
        }
        resolved = ConfigLoader.load(configRoot(runFile), runFile, overrides);
        // Everything that can be checked is, before the run directory exists.
        StartChecks.run(resolved.config(), projectRoot());
        dir =
            RunDirectory.createNew(
                resolved.config().getString("trainer.run_dir"),
                resolved.config().getString("run.name"));
        DurableFiles.writeString(dir.config(), resolved.render());
      }
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (Exception e) {
      System.err.println("tokenrl train: " + e.getMessage());
      return 2;
    }
    try {
      new TrainingRun(resolved.config(), dir, projectRoot()).run(resume != null);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (IllegalArgumentException | IllegalStateException e) {
      // Bad settings the config schema cannot see (an algorithm value out of range, a data file
      // with no usable pairs): one line that says what to change, no stack trace.
      System.err.println("tokenrl train: " + e.getMessage());
      return 2;
    }
    return 0;
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
    return projectRoot().resolve("configs");
  }

  static Path projectRoot() {
    return Path.of(System.getProperty("tokenrl.root", ".")).toAbsolutePath().normalize();
  }
}
