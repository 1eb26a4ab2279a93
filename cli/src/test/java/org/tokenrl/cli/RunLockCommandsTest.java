package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ProjectRoot;
import org.tokenrl.core.Python;

/**
 * A run directory held by a live run (another process holding {@code .lock}) is refused by {@code
 * train} (same directory, no checkpoint yet), {@code train --resume}, {@code eval} and {@code
 * export}: one line naming the owner's PID, exit 2, nothing changed.
 */
class RunLockCommandsTest {
  @TempDir Path tmp;

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
    assertEquals(
        "locked", new BufferedReader(new InputStreamReader(p.getInputStream())).readLine());
    return p;
  }

  private static void assertRefused(CliRun r, Process owner) {
    assertEquals(2, r.code(), r.err());
    String err = r.err().strip();
    assertFalse(err.contains("\n"), err);
    assertTrue(err.contains("pid " + owner.pid()), err);
  }

  @Test
  void aDirectoryHeldByALiveRunIsRefusedByEveryCommand() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("run/checkpoints/step-0000002")).getParent();
    run = run.getParent();
    Files.writeString(run.resolve("config.conf"), "run { name = x }\n");
    Process owner = holder(run);
    try {
      assertRefused(CliRun.of("train", "--resume", run.toString()), owner);
      assertRefused(CliRun.of("eval", run.toString()), owner);
      assertRefused(
          CliRun.of("export", run.toString(), "--hf", tmp.resolve("out").toString()), owner);
      assertFalse(Files.exists(tmp.resolve("out")));
    } finally {
      owner.destroyForcibly();
      assertTrue(owner.waitFor(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void trainDoesNotTakeOverALiveRunThatHasNoCheckpointYet() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("run/checkpoints")).getParent();
    Files.writeString(run.resolve("config.conf"), "the live run's config\n");
    Files.writeString(run.resolve("metrics.jsonl"), "{\"step\": 1}\n");
    Process owner = holder(run);
    try {
      CliRun r =
          CliRun.of(
              "train",
              ProjectRoot.get().resolve("configs/quickstart.conf").toString(),
              "trainer.run_dir=\"" + run + "\"");
      assertRefused(r, owner);
      assertEquals("the live run's config\n", Files.readString(run.resolve("config.conf")));
      assertEquals("{\"step\": 1}\n", Files.readString(run.resolve("metrics.jsonl")));
    } finally {
      owner.destroyForcibly();
      assertTrue(owner.waitFor(30, TimeUnit.SECONDS));
    }
  }
}
