package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPools;

/** Start-up checks and their one-line messages, and a clean stop of a head the pool started. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RayClusterTest {
  /** Command lines of the processes a Ray node runs. */
  static final List<String> RAY_PROCESSES =
      List.of(
          "raylet",
          "gcs_server",
          "io.ray.runtime.runner.worker.DefaultWorker",
          "default_worker.py",
          "log_monitor.py",
          "runtime_env/agent",
          "dashboard/agent.py");

  @TempDir Path tmp;

  /** pid -> command line of every running Ray process. */
  static Map<Long, String> rayProcesses() {
    Map<Long, String> out = new LinkedHashMap<>();
    ProcessHandle.allProcesses()
        .forEach(
            p -> {
              String cmd = p.info().commandLine().orElse("");
              if (p.pid() != ProcessHandle.current().pid()
                  && RAY_PROCESSES.stream().anyMatch(cmd::contains)) {
                out.put(p.pid(), cmd);
              }
            });
    return out;
  }

  @Test
  void closeLeavesNoRayProcessBehind() throws Exception {
    Set<Long> before = new TreeSet<>(rayProcesses().keySet());
    try (BufferAllocator allocator = new RootAllocator();
        Policy policy =
            Policy.create(RayRolloutPoolTest.MODEL, OptimizerConfig.defaults(1e-3), 1)) {
      try (RolloutPool pool =
          RolloutPools.create(
              new RolloutPoolContext(
                  policy, RayRolloutPoolTest.config("distributed.ray.actors=1"), allocator))) {
        Map<Long, String> running = rayProcesses();
        running.keySet().removeAll(before);
        assertTrue(running.values().stream().anyMatch(c -> c.contains("raylet")), "" + running);
        assertTrue(
            running.values().stream().anyMatch(c -> c.contains("DefaultWorker")), "" + running);
        try (RolloutBatch batch =
            pool.generate(RayRolloutPoolTest.prompts(2, 1), 2, RayRolloutPoolTest.SAMPLING, 1)) {
          assertEquals(4, batch.size());
        }
      }
    }
    // ray stop --force has returned; give the kernel a moment to reap.
    Map<Long, String> left = rayProcesses();
    for (int i = 0; i < 50 && !newOnes(left, before).isEmpty(); i++) {
      Thread.sleep(200);
      left = rayProcesses();
    }
    assertEquals(Map.of(), newOnes(left, before), "Ray processes left after close()");
  }

  private static Map<Long, String> newOnes(Map<Long, String> now, Set<Long> before) {
    Map<Long, String> out = new LinkedHashMap<>(now);
    out.keySet().removeAll(before);
    return out;
  }

  @Test
  void aMissingOrDifferentPythonRaySaysWhatToInstall() throws IOException {
    ConfigException missing =
        assertThrows(
            ConfigException.class,
            () -> RayCluster.checkPythonRay(tmp.resolve("no-such-ray").toString()));
    assertTrue(missing.getMessage().contains("pip install ray==2.39.0"), missing.getMessage());

    Path fake = tmp.resolve("ray");
    Files.writeString(fake, "#!/bin/sh\necho 'ray, version 2.38.0'\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    ConfigException old =
        assertThrows(ConfigException.class, () -> RayCluster.checkPythonRay(fake.toString()));
    assertTrue(old.getMessage().contains("version 2.38.0"), old.getMessage());
    assertTrue(old.getMessage().contains("pip install ray==2.39.0"), old.getMessage());
    assertTrue(!old.getMessage().contains("\n"), "one line: " + old.getMessage());

    RayCluster.checkPythonRay("ray"); // the installed one matches
  }

  @Test
  void anUnreachableClusterSaysWhatToStart() throws IOException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort(); // free once closed: nothing listens there
    }
    ConfigException e =
        assertThrows(ConfigException.class, () -> RayCluster.checkReachable("127.0.0.1:" + port));
    assertTrue(e.getMessage().contains("ray start --head --port=" + port), e.getMessage());
    assertTrue(e.getMessage().contains("distributed.ray.address = 127.0.0.1:" + port));
  }

  @Test
  void configIsCheckedWithTheKeyNamed() {
    ConfigException rewards =
        assertThrows(
            ConfigException.class,
            () ->
                DistributedConfig.from(RayRolloutPoolTest.config("distributed.rewards_on=nodes")));
    assertTrue(
        rewards.getMessage().contains("distributed.rewards_on = nodes"), rewards.getMessage());
    assertTrue(rewards.getMessage().contains("trainer or actors"), rewards.getMessage());
    ConfigException heap =
        assertThrows(
            ConfigException.class,
            () ->
                DistributedConfig.from(
                    RayRolloutPoolTest.config("distributed.ray.worker_heap=lots")));
    assertTrue(heap.getMessage().contains("distributed.ray.worker_heap"));
    ConfigException address =
        assertThrows(
            ConfigException.class,
            () ->
                DistributedConfig.from(
                    RayRolloutPoolTest.config("distributed.ray.address=nowhere")));
    assertTrue(address.getMessage().contains("host:port"));
    DistributedConfig defaults = DistributedConfig.from(RayRolloutPoolTest.config());
    assertEquals(new DistributedConfig(false, false, "", 2, 3, "1g", 120, 600, false), defaults);
    assertTrue(
        DistributedConfig.from(RayRolloutPoolTest.config("distributed.rewards_on=actors"))
            .rewardsOnActors());
  }

  @Test
  void codeSearchPathFollowsManifestClassPaths() throws IOException {
    Path lib = Files.createDirectories(tmp.resolve("lib"));
    Path dep = Files.writeString(lib.resolve("dep.jar"), "");
    Path booter = tmp.resolve("booter.jar");
    java.util.jar.Manifest manifest = new java.util.jar.Manifest();
    manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest
        .getMainAttributes()
        .put(
            java.util.jar.Attributes.Name.CLASS_PATH,
            "lib/dep.jar " + tmp.resolve("classes").toUri());
    Files.createDirectories(tmp.resolve("classes"));
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(booter), manifest)) {
      // A manifest-only jar, as Surefire writes.
    }
    List<String> path = CodeSearchPath.expand(booter.toString());
    assertEquals(
        new ArrayList<>(
            List.of(booter.toString(), dep.toString(), tmp.resolve("classes").toString())),
        path);
  }
}
