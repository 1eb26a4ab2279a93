package org.tokenrl.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Files written whole, so that a crash or power loss leaves either the old file or the new one,
 * never a half-written one: the bytes go to a temporary file beside the target, are fsynced, and
 * the temporary file is renamed over the target (then the directory is fsynced, so the rename
 * itself survives).
 */
public final class DurableFiles {
  private DurableFiles() {}

  /**
   * Writes the content of a file through a channel positioned at 0. A writer that closes the
   * channel itself (Arrow's do) must {@code force} it first.
   */
  @FunctionalInterface
  public interface Content {
    void writeTo(FileChannel channel) throws IOException;
  }

  /** Replaces {@code target} atomically with what {@code content} writes. */
  public static void replace(Path target, Content content) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + absolute.getFileName(), ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        content.writeTo(ch);
        if (ch.isOpen()) {
          ch.force(true);
        }
      }
      try {
        Files.move(
            tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
      fsyncDirectory(dir);
    } finally {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Replaces {@code target} atomically with {@code text} in UTF-8. */
  public static void writeString(Path target, String text) throws IOException {
    replace(target, ch -> writeFully(ch, text.getBytes(StandardCharsets.UTF_8)));
  }

  /** Writes all of {@code bytes} at the channel's position. */
  public static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /**
   * Makes a directory's entries (files created or renamed in it) durable. Some file systems cannot
   * open a directory for fsync; the files' own contents are synced separately, so that is ignored.
   */
  public static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // see above
    }
  }
}
