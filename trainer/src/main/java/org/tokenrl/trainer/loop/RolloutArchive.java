package org.tokenrl.trainer.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.tokenrl.algorithms.rl.DynamicSampling;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.core.Rollout;
import org.tokenrl.core.StepRollouts;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.trainer.setup.PromptCodec;

/**
 * Saves RL steps' rollouts as {@code rollouts/step-NNNNNN.arrow} ({@link StepRollouts}: tokens,
 * text, rewards per component, per-token credit, the policy mask and what entered the loss, kept
 * flags, logp_old), every {@code trainer.save_rollouts} RL steps. Each file is written atomically;
 * past {@code trainer.rollouts_max_mb} the oldest files are deleted (the newest is always kept). A
 * resumed run first drops the files of steps after its checkpoint, which it redoes.
 */
final class RolloutArchive {
  private final RunDirectory dir;
  private final int every;
  private final long maxBytes;
  private final String algorithm;
  private final List<String> components;
  private final DynamicSampling.Mode mode;
  private final PromptCodec codec;

  RolloutArchive(
      RunDirectory dir,
      int every,
      long maxBytes,
      String algorithm,
      CompositeReward reward,
      DynamicSampling.Mode mode,
      PromptCodec codec) {
    this.dir = dir;
    this.every = every;
    this.maxBytes = maxBytes;
    this.algorithm = algorithm;
    this.components = reward.components().stream().map(CompositeReward.Component::name).toList();
    this.mode = mode;
    this.codec = codec;
  }

  /** Whether RL step {@code phaseStep} (from 1) is saved. */
  boolean at(long phaseStep) {
    return every > 0 && phaseStep % every == 0;
  }

  /** Saves the step's rows and applies the size cap. */
  void save(long step, long phaseStep, RlTrainer.StepResult result) {
    ScoredRollouts rows = result.trained();
    TokenCredit credit = result.credit();
    boolean[] inUpdate = inUpdate(rows, mode);
    List<StepRollouts.Row> out = new ArrayList<>();
    for (int i = 0; i < rows.rows(); i++) {
      int g = i / rows.groupSize();
      var example = rows.examples().get(g);
      Rollout rollout =
          new Rollout(
              example.id(),
              g,
              rows.prompts()[i],
              rows.responses()[i],
              floats(rows.logpOld()[i]),
              floats(rows.entropies()[i]),
              rows.truncated()[i],
              example.answer() == null ? "" : example.answer(),
              rows.rewards()[i],
              rows.lossMask()[i]); // false on a multi-turn rollout's environment tokens
      out.add(
          new StepRollouts.Row(
              rollout,
              codec.tokenizer().decode(rows.prompts()[i]),
              codec.response(rows.responses()[i]),
              rows.correct()[i],
              rows.componentScores()[i] == null
                  ? nan(components.size())
                  : rows.componentScores()[i],
              floats(credit.advantages()[i]),
              credit.keep()[i].clone(),
              inUpdate[i]));
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("step", Long.toString(step));
    meta.put("phase_step", Long.toString(phaseStep));
    meta.put("algorithm", algorithm);
    meta.put(StepRollouts.COMPONENTS_KEY, String.join(",", components));
    meta.put("rows", mode == DynamicSampling.Mode.REFILL ? "credit batch" : "sampled");
    new StepRollouts(rows.groupSize(), meta, out).write(dir.rolloutFile(step));
    rotate();
  }

  /** Rows of the update: all, or under dynamic_sampling = drop those of groups with signal. */
  static boolean[] inUpdate(ScoredRollouts rows, DynamicSampling.Mode mode) {
    boolean[] in = new boolean[rows.rows()];
    for (int r : UpdateRows.select(mode, rows.rewards(), rows.groupSize()).rows()) {
      in[r] = true;
    }
    return in;
  }

  /** Deletes the oldest files while rollouts/ is over the cap, keeping the newest. */
  private void rotate() {
    List<Path> files = dir.rolloutFiles();
    long total = 0;
    long[] sizes = new long[files.size()];
    try {
      for (int i = 0; i < files.size(); i++) {
        sizes[i] = Files.size(files.get(i));
        total += sizes[i];
      }
      for (int i = 0; i < files.size() - 1 && total > maxBytes; i++) {
        Files.deleteIfExists(files.get(i));
        total -= sizes[i];
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rotate " + dir.rollouts(), e);
    }
  }

  /**
   * A resumed run redoes the steps after {@code lastStep}: their files (and temporary files a
   * killed write left) go, so rollouts/ matches metrics.jsonl.
   */
  static void repairForResume(RunDirectory dir, long lastStep) {
    if (!Files.isDirectory(dir.rollouts())) {
      return;
    }
    try (Stream<Path> s = Files.list(dir.rollouts())) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        boolean stale = name.startsWith(".") && name.endsWith(".tmp");
        if (stale || (name.matches("step-\\d+\\.arrow") && RunDirectory.stepOf(p) > lastStep)) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + dir.rollouts(), e);
    }
  }

  private static float[] floats(double[] x) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) x[i];
    }
    return out;
  }

  private static double[] nan(int n) {
    double[] out = new double[n];
    java.util.Arrays.fill(out, Double.NaN);
    return out;
  }
}
