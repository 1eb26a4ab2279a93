package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFilesTest {
  @TempDir Path tmp;

  private List<Path> files() throws IOException {
    try (var s = Files.list(tmp)) {
      return s.toList();
    }
  }

  @Test
  void replaceWritesTheNewContentAndLeavesNoTemporaryFile() throws IOException {
    Path target = tmp.resolve("config.conf");
    DurableFiles.writeString(target, "a = 1\n");
    DurableFiles.writeString(target, "a = 2\n");
    assertEquals("a = 2\n", Files.readString(target));
    assertEquals(List.of(target), files());
  }

  @Test
  void aWriterThatFailsHalfWayLeavesTheOldFileWhole() throws IOException {
    Path target = tmp.resolve("pairs.arrow");
    DurableFiles.writeString(target, "old content");
    assertThrows(
        IOException.class,
        () ->
            DurableFiles.replace(
                target,
                ch -> {
                  DurableFiles.writeFully(ch, "new con".getBytes());
                  throw new IOException("disk full");
                }));
    assertEquals("old content", Files.readString(target));
    assertEquals(List.of(target), files());
  }
}
