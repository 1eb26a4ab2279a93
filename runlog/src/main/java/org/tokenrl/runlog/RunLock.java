package org.tokenrl.runlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An OS file lock on {@code <run dir>/.lock}: exclusive for the live run that writes the directory
 * (it holds its PID), shared for commands that only read it ({@code eval}, {@code export}). The
 * operating system releases it when the owner exits, however it exits (kill -9 included), so a lock
 * never outlives its process and a stale {@code .lock} file means nothing. Lifecycle: take with
 * {@link RunDirectory#lock()} or {@link RunDirectory#lockShared()} in try-with-resources, for the
 * whole time the directory is used.
 */
public final class RunLock implements AutoCloseable {
  static final String FILE = ".lock";

  /** Directories this JVM holds a lock on: the OS lock cannot tell two holders in one process. */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  /** The directory is held by another live process (or by this one). */
  public static final class HeldException extends IllegalStateException {
    HeldException(String message) {
      super(message);
    }
  }

  private final Path key;
  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(Path key, FileChannel channel, FileLock lock) {
    this.key = key;
    this.channel = channel;
    this.lock = lock;
  }

  /** Whether this JVM holds a lock on {@code dir}. */
  static boolean heldHere(Path dir) {
    try {
      return HELD.contains(dir.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }

  static RunLock take(Path dir, boolean exclusive) {
    Path key;
    FileChannel ch;
    try {
      if (exclusive) {
        Files.createDirectories(dir);
      }
      key = dir.toRealPath();
      ch =
          FileChannel.open(
              key.resolve(FILE),
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
    } catch (AccessDeniedException e) {
      if (exclusive) {
        throw new UncheckedIOException("cannot lock run directory " + dir, e);
      }
      return new RunLock(null, null, null); // a read-only copy: no run can write it either
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock run directory " + dir, e);
    }
    if (!HELD.add(key)) {
      close(ch);
      throw held(dir, "pid " + ProcessHandle.current().pid() + ", this process");
    }
    FileLock lock;
    try {
      lock = ch.tryLock(0, Long.MAX_VALUE, !exclusive);
    } catch (IOException | OverlappingFileLockException e) {
      HELD.remove(key);
      close(ch);
      throw new UncheckedIOException("cannot lock run directory " + dir, new IOException(e));
    }
    if (lock == null) {
      String owner = owner(ch);
      HELD.remove(key);
      close(ch);
      throw held(dir, owner);
    }
    if (exclusive) {
      try {
        ch.truncate(0);
        ch.write(
            ByteBuffer.wrap(
                (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
            0);
        ch.force(false);
      } catch (IOException e) {
        // the lock holds without the PID; a refusal then just cannot name it
      }
    }
    return new RunLock(key, ch, lock);
  }

  private static HeldException held(Path dir, String owner) {
    return new HeldException(
        "run directory "
            + dir
            + " is in use by a live tokenrl process ("
            + owner
            + "); wait for it to finish or stop it, or choose another directory");
  }

  /** "pid N" from the lock file when that process is alive, else who else it can be. */
  private static String owner(FileChannel ch) {
    try {
      ByteBuffer b = ByteBuffer.allocate(32);
      int n = ch.read(b, 0);
      String text = n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.US_ASCII).strip();
      if (text.matches("\\d{1,19}")) {
        long pid = Long.parseLong(text);
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          return "pid " + pid;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // fall through
    }
    return "an eval or export reading it, or a run just starting";
  }

  private static void close(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // nothing held
    }
  }

  /** Releases the lock (the exclusive owner first clears its PID). */
  @Override
  public void close() {
    if (channel == null) {
      return;
    }
    try {
      if (!lock.isShared()) {
        channel.truncate(0);
      }
      lock.release();
    } catch (IOException e) {
      // closing the channel below releases it anyway
    } finally {
      close(channel);
      HELD.remove(key);
    }
  }
}
