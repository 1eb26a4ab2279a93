package org.tokenrl.trainer.loop;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.tokenrl.algorithms.AlgorithmKind;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.runlog.Hyperparameters;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.trainer.setup.RunSpec;

/**
 * The run's HPARAMS row, limited to the settings that apply to it and ordered by what tells runs
 * apart. Of {@link RunSpec#HPARAMS}, a run shows the keys its resolved config has (an algorithm's
 * own keys exist only under that algorithm), the {@code sft.*} ones only with a warm-up, and the
 * rollout ones only for RL. TensorBoard takes the columns from one run of the log directory, so
 * each run lists the columns of its siblings (the other runs in its parent directory) too, and puts
 * first the keys whose values differ among them, marked as such ({@code differs}: TensorBoard's
 * table shows five columns at first, the marked ones first). With a GRPO and a TEMPO run side by
 * side, {@code algorithm.name} and {@code algorithm.td_weight} lead, and a column no run has never
 * appears. A run with no sibling marks {@link #LEADING}.
 */
public final class RunHParams {
  private static final Set<String> RL_ONLY =
      Set.of(
          "trainer.prompts_per_step",
          "trainer.group_size",
          "trainer.dynamic_sampling",
          "rollout.temperature");

  /** The columns marked as differing when nothing differs yet: TensorBoard shows five at first. */
  static final List<String> LEADING =
      List.of("algorithm.name", "task.name", "model.name", "run.seed", "trainer.learning_rate");

  private RunHParams() {}

  public static Hyperparameters of(Config resolved, Path runDir) {
    Hyperparameters own = applicable(resolved);
    List<Hyperparameters> all = new ArrayList<>(List.of(own));
    all.addAll(siblings(runDir));
    // The union of the runs' columns, in RunSpec's order; then the differing ones first.
    Map<String, Hyperparameters.Column> union = new LinkedHashMap<>();
    for (Hyperparameters.Column c : RunSpec.hyperparameters(resolved).columns()) {
      if (all.stream().anyMatch(h -> h.values().containsKey(c.key()))) {
        union.put(c.key(), c);
      }
    }
    for (Hyperparameters h : all) {
      h.columns().forEach(c -> union.putIfAbsent(c.key(), c));
    }
    List<Hyperparameters.Column> differing = new ArrayList<>();
    List<Hyperparameters.Column> same = new ArrayList<>();
    for (Hyperparameters.Column c : union.values()) {
      Set<Object> values = new LinkedHashSet<>();
      // Only runs that have the key count: a TEMPO setting is absent, not different, on GRPO.
      all.stream()
          .filter(h -> h.values().containsKey(c.key()))
          .forEach(h -> values.add(h.values().get(c.key())));
      (values.size() > 1 ? differing : same).add(c);
    }
    Set<String> differs = new LinkedHashSet<>();
    differing.forEach(c -> differs.add(c.key()));
    if (differs.isEmpty()) {
      // A run with no sibling to differ from (the first of a sweep, the one TensorBoard usually
      // takes the columns from): open the table on what tells runs apart most often.
      LEADING.stream().filter(union::containsKey).forEach(differs::add);
    }
    differing.addAll(same);
    return new Hyperparameters(differing, own.values(), differs);
  }

  /** The columns of {@code resolved} that apply to its run, with its values. */
  static Hyperparameters applicable(Config resolved) {
    Hyperparameters all = RunSpec.hyperparameters(resolved);
    boolean warmUp = resolved.hasPath("sft.steps") && resolved.getInt("sft.steps") > 0;
    boolean rl = resolved.hasPath("algorithm.name") && isRl(resolved.getString("algorithm.name"));
    List<Hyperparameters.Column> columns = new ArrayList<>();
    Map<String, Object> values = new LinkedHashMap<>();
    for (Hyperparameters.Column c : all.columns()) {
      Object v = all.values().get(c.key());
      boolean applies =
          v != null
              && (warmUp || !c.key().startsWith("sft."))
              && (rl || !RL_ONLY.contains(c.key()));
      if (applies) {
        columns.add(c);
        values.put(c.key(), v);
      }
    }
    return new Hyperparameters(columns, values);
  }

  private static boolean isRl(String algorithm) {
    try {
      return Algorithms.kind(algorithm) == AlgorithmKind.RL;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The applicable hyperparameters of the other runs beside {@code runDir}; unreadable ones
   * skipped.
   */
  private static List<Hyperparameters> siblings(Path runDir) {
    Path self = runDir.toAbsolutePath().normalize();
    Path parent = self.getParent();
    List<Hyperparameters> out = new ArrayList<>();
    if (parent == null || !Files.isDirectory(parent)) {
      return out;
    }
    try (Stream<Path> s = Files.list(parent)) {
      for (Path p : s.sorted().toList()) {
        if (Objects.equals(p.toAbsolutePath().normalize(), self)
            || !Files.isRegularFile(p.resolve(RunDirectory.CONFIG))) {
          continue;
        }
        try {
          out.add(applicable(ConfigLoader.loadResolved(p.resolve(RunDirectory.CONFIG)).config()));
        } catch (RuntimeException e) {
          // not a readable run config: it adds no columns
        }
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }
}
