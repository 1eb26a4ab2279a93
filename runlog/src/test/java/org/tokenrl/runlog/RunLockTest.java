package org.tokenrl.runlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.Python;

/** One live run per run directory: an OS lock that names its owner and dies with it. */
class RunLockTest {
  @TempDir Path tmp;

  /** Another process holding the directory's lock the way a live run does (POSIX fcntl lock). */
  private static Process holder(Path dir) throws Exception {
    String script =
        "import fcntl, os, sys, time\n"
            + "f = open(sys.argv[1], 'a+')\n"
            + "fcntl.lockf(f, fcntl.LOCK_EX)\n"
            + "f.truncate(0); f.write(str(os.getpid()) + '\\n'); f.flush()\n"
            + "print('locked', flush=True)\n"
            + "time.sleep(120)\n";
    Process p =
        Python.processBuilder("-c", script, dir.resolve(".lock").toAbsolutePath().toString())
            .start();
    String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
    assertEquals("locked", line);
    return p;
  }

  @Test
  void aSecondLockIsRefusedNamingTheOwnerAndReleasedOnClose() {
    RunDirectory dir = new RunDirectory(tmp.resolve("run"));
    try (RunLock lock = dir.lock()) {
      RunLock.HeldException e = assertThrows(RunLock.HeldException.class, dir::lock);
      assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
      assertThrows(RunLock.HeldException.class, dir::lockShared);
    }
    dir.lock().close(); // released
    try (RunLock a = dir.lockShared()) {
      assertThrows(RunLock.HeldException.class, dir::lock);
    }
  }

  @Test
  void anotherProcessHoldingTheDirectoryIsNamedAndItsLockDiesWithItOnKill9() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("run"));
    RunDirectory dir = new RunDirectory(run);
    Process p = holder(run);
    try {
      RunLock.HeldException e = assertThrows(RunLock.HeldException.class, dir::lock);
      assertTrue(e.getMessage().contains("pid " + p.pid()), e.getMessage());
      assertFalse(e.getMessage().contains("\n"));
      assertThrows(RunLock.HeldException.class, dir::lockShared);
      // A run that has not reached a checkpoint yet is not taken over while it lives.
      assertThrows(RunLock.HeldException.class, () -> RunDirectory.createNew(run.toString(), "x"));
    } finally {
      p.destroyForcibly(); // SIGKILL: no cleanup runs in the holder
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    }
    assertTrue(Files.exists(run.resolve(".lock"))); // a stale file, and no lock
    try (RunLock lock = dir.lock()) {
      assertEquals(
          ProcessHandle.current().pid() + "", Files.readString(run.resolve(".lock")).strip());
    }
    RunDirectory.createNew(run.toString(), "x");
  }

  @Test
  void leftoverCheckpointTempDirectoriesAreCleanedAndAnInterruptedReplaceRestored()
      throws Exception {
    RunDirectory dir = RunDirectory.createNew(tmp.resolve("run").toString(), "x");
    Path ck = dir.checkpoints();
    Files.createDirectories(ck.resolve("step-0000002"));
    Files.createDirectories(ck.resolve(".step-0000004.tmp-123/x"));
    Files.writeString(ck.resolve(".step-0000004.tmp-123/x/model.safetensors"), "half");
    Files.createDirectories(ck.resolve(".step-0000002.old-9")); // replaced: target present
    Files.createDirectories(ck.resolve(".step-0000003.old-7")); // killed between the renames
    Files.writeString(ck.resolve(".step-0000003.old-7/model.json"), "{}");
    assertEquals(3, dir.cleanLeftovers());
    try (var s = Files.list(ck)) {
      assertEquals(
          java.util.List.of("step-0000002", "step-0000003"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertTrue(Files.exists(ck.resolve("step-0000003/model.json")));
    assertEquals(0, dir.cleanLeftovers());
  }

  @Test
  void runNamesStayInsideRuns() {
    for (String bad : new String[] {"../escape", "a/b", "..", "a\\b"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> RunDirectory.pathFor("", bad));
      assertTrue(e.getMessage().startsWith("run.name = "), e.getMessage());
    }
    assertEquals(Path.of("runs"), RunDirectory.pathFor("", "ok").getParent());
  }
}
