package org.tokenrl.runlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One run's directory: {@code config.conf} (the resolved config), {@code metrics.jsonl}, the
 * TensorBoard events file, {@code train.log} and {@code checkpoints/step-NNNNNNN/}.
 */
public record RunDirectory(Path path) {
  public static final String CONFIG = "config.conf";
  static final String METRICS = "metrics.jsonl";
  static final String LOG = "train.log";
  private static final String CHECKPOINT_PREFIX = "step-";

  /** {@code runDir} if given, else {@code runs/<name>-<yyyyMMdd-HHmmss>} under the working dir. */
  public static RunDirectory createNew(String runDir, String name) {
    Path path =
        runDir.isEmpty()
            ? Path.of(
                "runs",
                name
                    + "-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))
            : Path.of(runDir);
    RunDirectory dir = new RunDirectory(path);
    if (dir.latestCheckpoint().isPresent()) {
      throw new IllegalStateException(
          "run directory "
              + path
              + " already holds a run; continue it with --resume "
              + path
              + " or choose another trainer.run_dir");
    }
    // A run that stopped before its first checkpoint has nothing to resume: a fresh start takes
    // its directory over, without the stale metrics, events, reference model or preference cache.
    dir.clearUnfinishedStart();
    try {
      Files.createDirectories(path.resolve("checkpoints"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create run directory " + path, e);
    }
    return dir;
  }

  /** Deletes what a start that never reached a checkpoint left behind (train.log is kept). */
  private void clearUnfinishedStart() {
    if (!Files.isRegularFile(path.resolve(CONFIG))) {
      return; // not a tokenrl run directory: touch nothing
    }
    try (Stream<Path> s = Files.list(path)) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        if (name.equals(METRICS) || name.equals(CONFIG) || name.contains("tfevents")) {
          Files.delete(p);
        } else if (name.equals("checkpoints") || name.equals("preference")) {
          deleteTree(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reuse run directory " + path, e);
    }
  }

  public static RunDirectory existing(Path path) {
    if (!Files.isRegularFile(path.resolve(CONFIG))) {
      throw new IllegalArgumentException(
          path + " is not a tokenrl run directory (no " + CONFIG + " in it)");
    }
    return new RunDirectory(path);
  }

  public Path config() {
    return path.resolve(CONFIG);
  }

  public Path metrics() {
    return path.resolve(METRICS);
  }

  Path log() {
    return path.resolve(LOG);
  }

  public Path checkpoints() {
    return path.resolve("checkpoints");
  }

  public Path checkpoint(long step) {
    return checkpoints().resolve(String.format("%s%07d", CHECKPOINT_PREFIX, step));
  }

  /** The frozen reference policy for KL terms, saved when the RL phase starts. */
  public Path referenceCheckpoint() {
    return checkpoints().resolve("reference");
  }

  public Optional<Path> latestCheckpoint() {
    return listCheckpoints().stream().reduce((a, b) -> b);
  }

  /** The step checkpoints, newest first. */
  public List<Path> checkpointsNewestFirst() {
    List<Path> all = new java.util.ArrayList<>(listCheckpoints());
    java.util.Collections.reverse(all);
    return all;
  }

  /** Deletes all but the newest {@code keep} step checkpoints. */
  public void pruneCheckpoints(int keep) {
    List<Path> all = listCheckpoints();
    for (int i = 0; i < all.size() - Math.max(1, keep); i++) {
      deleteTree(all.get(i));
    }
  }

  private List<Path> listCheckpoints() {
    if (!Files.isDirectory(checkpoints())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(checkpoints())) {
      return s.filter(p -> p.getFileName().toString().matches(CHECKPOINT_PREFIX + "\\d+"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete old checkpoint " + dir, e);
    }
  }
}
