package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a killed run left (its folder, the driver library folder it noted, the head it started) is
 * removed by the next run; a live run's folder is left alone. The real head's cleanup at exit is
 * checked in LoopbackHeadTest, which starts one anyway.
 */
class RayTempDirsTest {
  @TempDir Path tmp;

  private static Process sleeper() throws Exception {
    return new ProcessBuilder("sleep", "60").start();
  }

  @Test
  void theFoldersOfDeadRunsAreRemovedLiveOnesKept() throws Exception {
    // A run that was killed: its JVM is gone, but its head (a process whose command line reads
    // "ray start --block" stands in) and the driver's library folder are still there.
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor(10, TimeUnit.SECONDS);
    Path dead = Files.createDirectory(tmp.resolve(RayTempDirs.PREFIX + gone.pid()));
    Path library = Files.createDirectories(tmp.resolve("ray/1796648372355"));
    Files.writeString(library.resolve("libcore_worker_library_java.so"), "not really");
    Files.writeString(dead.resolve("driver-library"), library + "\n");
    Files.createDirectories(dead.resolve("ray/session_2026-12-07_12-59-23_118186_1/logs"));
    Process head =
        new ProcessBuilder(
                "python3", "-I", "-c", "import time; time.sleep(60)", "ray", "start", "--block")
            .start();
    Files.writeString(dead.resolve("head-pid"), head.pid() + "\n");

    Process live = sleeper();
    try {
      Path alive = Files.createDirectory(tmp.resolve(RayTempDirs.PREFIX + live.pid()));
      Path other = Files.createDirectory(tmp.resolve("tokenrl-ray-notapid"));

      assertEquals(1, RayTempDirs.cleanStale(tmp));
      assertFalse(Files.exists(dead), "the dead run's folder");
      assertFalse(Files.exists(library), "the driver library folder it noted");
      assertTrue(head.waitFor(20, TimeUnit.SECONDS), "the head it left was stopped");
      assertTrue(Files.isDirectory(alive), "a live run's folder stays");
      assertTrue(Files.isDirectory(other), "anything not named by a PID stays");
    } finally {
      live.destroyForcibly();
      head.destroyForcibly();
    }
  }

  @Test
  void aLibraryFolderIsOnlyDeletedWhenItIsRaysOwn() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor(10, TimeUnit.SECONDS);
    Path dead = Files.createDirectory(tmp.resolve(RayTempDirs.PREFIX + gone.pid()));
    Path home = Files.createDirectory(tmp.resolve("home"));
    Files.writeString(home.resolve("thesis.tex"), "precious");
    Files.writeString(dead.resolve("driver-library"), home + "\n"); // a tampered note
    assertEquals(1, RayTempDirs.cleanStale(tmp));
    assertTrue(Files.exists(home.resolve("thesis.tex")));
  }
}
