package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Python children never import code from the directory tokenrl was started in. */
class PythonTest {
  @TempDir Path tmp;

  /** A working directory whose {@code json.py} and {@code pip/} would write {@code marker}. */
  static Path maliciousDirectory(Path tmp, Path marker) throws Exception {
    Path evil = Files.createDirectories(tmp.resolve("evil"));
    String payload = "open(" + pyString(marker.toAbsolutePath().toString()) + ", 'w').write('x')\n";
    Files.writeString(evil.resolve("json.py"), payload);
    Files.createDirectories(evil.resolve("pip"));
    Files.writeString(evil.resolve("pip/__init__.py"), payload);
    Files.writeString(evil.resolve("pip/__main__.py"), payload);
    return evil;
  }

  private static String pyString(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  @Test
  void aChildStartedInAMaliciousDirectoryImportsNothingFromIt() throws Exception {
    Path marker = tmp.resolve("marker");
    Path evil = maliciousDirectory(tmp, marker);
    for (String[] args :
        new String[][] {
          {"-c", "import json; print(json.dumps([1]))"}, {"-m", "pip", "--version"}
        }) {
      Process p = Python.processBuilder(args).directory(evil.toFile()).start();
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      assertFalse(Files.exists(marker), "imported from the working directory: " + args[1]);
    }
    // The same commands without -I do import from it: the test would catch a regression.
    Process p =
        new ProcessBuilder(Python.interpreter(), "-c", "import json")
            .directory(evil.toFile())
            .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertTrue(Files.exists(marker));
  }

  @Test
  void runIsIsolatedAndStartsInTheSafeDirectory() throws Exception {
    Python.Result r =
        Python.run("import os, sys; print(os.getcwd()); print(sys.flags.isolated)", "", 120);
    assertEquals(0, r.exitCode(), r.err());
    String[] lines = r.out().strip().split("\n");
    assertEquals(
        Python.safeDirectory().toRealPath().toString(), Path.of(lines[0]).toRealPath().toString());
    assertEquals("1", lines[1]);
    assertTrue(Python.command("-c", "pass").subList(0, 2).contains("-I"));
  }
}
