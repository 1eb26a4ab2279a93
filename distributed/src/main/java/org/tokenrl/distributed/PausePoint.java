package org.tokenrl.distributed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;

/**
 * A test hook: lets a fault-tolerance test stop a rollout actor at a named point of its work
 * ({@link #GENERATE}, {@link #RESULT}, {@link #LOAD_WEIGHTS}) so that a {@code kill -9} of its
 * process lands exactly there. Off unless the worker JVM has the system property {@value #PROPERTY}
 * = {@code point:hit:marker}; the driver passes its own value on to the workers.
 *
 * <p>At the {@code hit}-th time a worker process reaches {@code point}, the first worker to create
 * the file {@code marker} writes its process id into {@code marker.pid} and sleeps until it is
 * killed; every later arrival (the other actor, the restarted one) goes on, so a run pauses once.
 */
final class PausePoint {
  static final String PROPERTY = "tokenrl.test.pause";

  /** Inside a generate call, weights loaded, before sampling. */
  static final String GENERATE = "generate";

  /** The slice sampled and encoded, before Ray takes the result back to the driver. */
  static final String RESULT = "result";

  /** Inside a load-weights call, before the new weights are decoded and loaded. */
  static final String LOAD_WEIGHTS = "load_weights";

  private static final Map<String, Integer> HITS = new HashMap<>();

  private PausePoint() {}

  static void reach(String point) {
    String spec = System.getProperty(PROPERTY, "");
    if (spec.isEmpty()) {
      return;
    }
    String[] parts = spec.split(":", 3);
    if (parts.length != 3 || !parts[0].equals(point)) {
      return;
    }
    int hit;
    synchronized (HITS) {
      hit = HITS.merge(point, 1, Integer::sum);
    }
    if (hit != Integer.parseInt(parts[1])) {
      return;
    }
    Path marker = Path.of(parts[2]);
    try {
      Files.createFile(marker);
      Path tmp = Path.of(parts[2] + ".tmp");
      Files.writeString(tmp, Long.toString(ProcessHandle.current().pid()), StandardCharsets.UTF_8);
      Files.move(tmp, Path.of(parts[2] + ".pid"), StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      return; // another worker paused already
    } catch (IOException e) {
      throw new IllegalStateException(PROPERTY + ": cannot write " + marker, e);
    }
    while (true) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        // Only a kill ends the pause.
      }
    }
  }
}
