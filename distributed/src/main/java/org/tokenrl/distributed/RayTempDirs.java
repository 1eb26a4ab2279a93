package org.tokenrl.distributed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What a run's use of Ray leaves on disk, removed when the run ends, and what a killed run left,
 * removed when the next one starts. Ray puts its session (logs, sockets, the object store's spill
 * files; tens of MB, world-writable) under {@code /tmp/ray/session_*} and its Java driver unpacks a
 * 32 MB JNI library into {@code /tmp/ray/<millis>/}, and never removes either.
 *
 * <p>So each run gets {@code <tmp>/tokenrl-ray-<pid>/} (mode 700: nobody else may enter it), whose
 * {@code ray/} the head it starts uses as its {@code --temp-dir} (Ray opens that one to everyone),
 * and where the run keeps the head's log and notes the driver library's folder and the head's PID.
 * {@link #close} deletes all of it (the session logs stay with {@code distributed.ray.keep_logs =
 * true}); {@link #cleanStale} deletes the folders of runs whose JVM is gone (kill -9), stopping a
 * head such a run left running, so a leftover never breaks or slows the next run.
 */
final class RayTempDirs implements AutoCloseable {
  static final String PREFIX = "tokenrl-ray-";
  private static final String DRIVER_LIBRARY = "driver-library";
  private static final String HEAD_PID = "head-pid";
  private static final String JNI_LIBRARY = "libcore_worker_library_java.so";

  private final Path root;
  private final boolean keepLogs;

  private RayTempDirs(Path root, boolean keepLogs) {
    this.root = root;
    this.keepLogs = keepLogs;
  }

  /** This JVM's folder, created (mode 700) after removing the folders of dead runs. */
  static RayTempDirs create(boolean keepLogs) {
    cleanStale(base());
    Path root = base().resolve(PREFIX + ProcessHandle.current().pid());
    try {
      if (!Files.isDirectory(root)) {
        Files.createDirectory(
            root,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot create Ray's temporary directory " + root, e);
    }
    return new RayTempDirs(root, keepLogs);
  }

  /**
   * Where the folders go: the JVM's temporary directory, unless its path is so long that Ray's
   * socket paths inside a session (about 70 characters more) would pass the 107 a Unix socket
   * allows.
   */
  static Path base() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    return tmp.toString().length() <= 30 ? tmp : Path.of("/tmp");
  }

  /** This run's folder (mode 700): the head's temp dir and log are inside it. */
  Path root() {
    return root;
  }

  /**
   * The head's {@code --temp-dir}, one level down: Ray makes its temp dir world-writable (mode
   * 777), which inside the 700 folder lets nobody else in.
   */
  Path rayTempDir() {
    return root.resolve("ray");
  }

  /** Notes the head's {@code ray start} PID, so a later run can stop it if this JVM is killed. */
  void recordHead(long pid) {
    write(HEAD_PID, Long.toString(pid));
  }

  /**
   * Notes the folder Ray's Java driver unpacked its JNI library into ({@code /tmp/ray/<millis>},
   * named by nothing but this process's memory map), once Ray is initialised.
   */
  void recordDriverLibrary() {
    driverLibraryFolder().ifPresent(dir -> write(DRIVER_LIBRARY, dir.toString()));
  }

  /** The folder holding the JNI library this process mapped, from /proc/self/maps. */
  static Optional<Path> driverLibraryFolder() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines
          .map(l -> l.substring(Math.max(0, l.indexOf('/'))))
          .filter(p -> p.startsWith("/") && p.endsWith("/" + JNI_LIBRARY))
          .findFirst()
          .map(p -> Path.of(p).getParent());
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // not Linux: nothing to clean
    }
  }

  /** Deletes the driver library's folder and this run's folder (but its session logs if kept). */
  @Override
  public void close() {
    deleteDriverLibrary(root);
    if (keepLogs) {
      return;
    }
    deleteTree(root);
  }

  /**
   * Removes the folders of runs whose JVM no longer exists, first stopping a head such a run left.
   *
   * @return how many folders were removed
   */
  static int cleanStale(Path base) {
    List<Path> stale = new ArrayList<>();
    try (Stream<Path> s = Files.list(base)) {
      s.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+"))
          .filter(
              p -> !alive(Long.parseLong(p.getFileName().toString().substring(PREFIX.length()))))
          .forEach(stale::add);
    } catch (IOException e) {
      return 0;
    }
    for (Path dir : stale) {
      readLong(dir.resolve(HEAD_PID)).flatMap(ProcessHandle::of).ifPresent(RayTempDirs::stopHead);
      deleteDriverLibrary(dir);
      deleteTree(dir);
    }
    return stale.size();
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Stops a leftover {@code ray start --block} and everything under it, if it is one. */
  private static void stopHead(ProcessHandle head) {
    String command = head.info().commandLine().orElse("");
    if (!command.contains("ray") || !command.contains("start")) {
      return; // the PID was reused by something else
    }
    List<ProcessHandle> tree = new ArrayList<>(head.descendants().toList());
    head.destroy();
    tree.forEach(ProcessHandle::destroyForcibly);
    head.destroyForcibly();
  }

  private static void deleteDriverLibrary(Path dir) {
    Optional<String> recorded = read(dir.resolve(DRIVER_LIBRARY));
    if (recorded.isEmpty()) {
      return;
    }
    Path library = Path.of(recorded.get());
    // Only the folder Ray made for the library: /tmp/ray/<digits> holding that one file.
    if (library.getFileName() != null
        && library.getFileName().toString().matches("\\d+")
        && Files.exists(library.resolve(JNI_LIBRARY))) {
      deleteTree(library);
    }
  }

  private void write(String name, String value) {
    try {
      Files.writeString(root.resolve(name), value + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      // Without the note only a kill -9 leaves this folder behind; the run itself is unaffected.
    }
  }

  private static Optional<String> read(Path file) {
    try {
      return Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<Long> readLong(Path file) {
    try {
      return read(file).map(Long::parseLong);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Best effort: a file Ray still writes as it stops may reappear; the next run removes it. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // keep going: the rest still goes
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      // a tree that changes while it is walked: the next run cleans what is left
    }
  }
}
