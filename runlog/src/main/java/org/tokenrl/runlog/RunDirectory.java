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
 * TensorBoard events file, {@code train.log}, {@code checkpoints/step-NNNNNNN/} and {@code
 * rollouts/step-NNNNNN.arrow} (an RL step's rollouts, {@code trainer.save_rollouts}).
 */
public record RunDirectory(Path path) {
  public static final String CONFIG = "config.conf";
  static final String METRICS = "metrics.jsonl";
  static final String LOG = "train.log";
  private static final String CHECKPOINT_PREFIX = "step-";

  /**
   * Where {@link #createNew} puts a run: {@code runDir} if given, else {@code
   * runs/<name>-<yyyyMMdd-HHmmss>} under the working dir. A name that would leave {@code runs/} (a
   * {@code /}, a backslash or {@code ..}) is refused.
   */
  public static Path pathFor(String runDir, String name) {
    if (!runDir.isEmpty()) {
      return Path.of(runDir);
    }
    if (name.contains("/") || name.contains("\\") || name.contains("..")) {
      throw new IllegalArgumentException(
          "run.name = '"
              + name
              + "' must be a plain name (no '/', '\\' or '..'): runs go in runs/<run.name>-<time>;"
              + " set trainer.run_dir for another place");
    }
    return Path.of(
        "runs",
        name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
  }

  /**
   * A fresh run directory at {@link #pathFor}. Refused when it holds a run with a checkpoint, or
   * when another live process holds its {@link #lock()}: a directory whose run has not reached its
   * first checkpoint is taken over only when that run is gone. Callers that own the run's lifetime
   * take {@link #lock()} first and hold it while the run lasts.
   */
  public static RunDirectory createNew(String runDir, String name) {
    return create(pathFor(runDir, name));
  }

  /** {@link #createNew} at a path from {@link #pathFor}, e.g. one already locked. */
  public static RunDirectory create(Path path) {
    RunDirectory dir = new RunDirectory(path);
    if (Files.isDirectory(path) && !RunLock.heldHere(path)) {
      // A probe: fails with the owner's PID while another process holds the directory.
      dir.lock().close();
    }
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
        } else if (name.equals("checkpoints")
            || name.equals("preference")
            || name.equals(ROLLOUTS)) {
          deleteTree(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reuse run directory " + path, e);
    }
  }

  /**
   * The exclusive lock of a live run on this directory (created if missing), held for the run's
   * whole life and released by {@link RunLock#close()} or when the process exits in any way.
   *
   * @throws RunLock.HeldException naming the owner's PID when another live run or reader holds it
   */
  public RunLock lock() {
    return RunLock.take(path, true);
  }

  /**
   * A shared lock for commands that read the directory while it must not change ({@code eval},
   * {@code export}): several readers coexist; a live run excludes them and they exclude it.
   */
  public RunLock lockShared() {
    return RunLock.take(path, false);
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

  /** {@code train.log}: the progress lines, warnings and an internal error's full trace. */
  public Path trainLog() {
    return log();
  }

  public Path checkpoints() {
    return path.resolve("checkpoints");
  }

  static final String ROLLOUTS = "rollouts";

  /** Where the saved rollouts go: {@code rollouts/}. */
  public Path rollouts() {
    return path.resolve(ROLLOUTS);
  }

  /** The rollouts file of global step {@code step}: {@code rollouts/step-NNNNNN.arrow}. */
  public Path rolloutFile(long step) {
    return rollouts().resolve(String.format("%s%06d.arrow", CHECKPOINT_PREFIX, step));
  }

  /** The saved rollout files, oldest step first. */
  public List<Path> rolloutFiles() {
    if (!Files.isDirectory(rollouts())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(rollouts())) {
      return s.filter(p -> p.getFileName().toString().matches("step-\\d+\\.arrow"))
          .sorted(Comparator.comparingLong(RunDirectory::stepOf))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The global step of a {@code step-NNNNNN.arrow} file or {@code step-NNNNNNN} checkpoint. */
  public static long stepOf(Path file) {
    String name = file.getFileName().toString();
    return Long.parseLong(name.replaceAll("\\D", ""));
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

  /**
   * Removes what a checkpoint save killed midway left in {@code checkpoints/}: its {@code
   * .<name>.tmp-*} staging directories, and {@code .<name>.old-*} copies of a replaced checkpoint
   * (restored as {@code <name>} when the replacement never arrived). Call under {@link #lock()}.
   *
   * @return how many leftovers were removed or restored
   */
  public int cleanLeftovers() {
    if (!Files.isDirectory(checkpoints())) {
      return 0;
    }
    int n = 0;
    try (Stream<Path> s = Files.list(checkpoints())) {
      for (Path p : s.sorted().toList()) {
        String f = p.getFileName().toString();
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("\\.(.+)\\.(tmp|old)-[^/]*").matcher(f);
        if (!m.matches() || !Files.isDirectory(p)) {
          continue;
        }
        Path target = checkpoints().resolve(m.group(1));
        if (m.group(2).equals("old") && !Files.exists(target)) {
          Files.move(p, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } else {
          deleteTree(p);
        }
        n++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + checkpoints(), e);
    }
    return n;
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
