package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPools;

/**
 * The head a run starts for itself is reachable from this machine only: read from the kernel's
 * socket table, no port owned by the head's processes (GCS, raylet, client server, agents, the
 * actors' worker JVMs) or by the driver listens beyond loopback, and none answers on the machine's
 * other addresses.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LoopbackHeadTest {
  @Test
  void noRayPortOfALocalHeadListensBeyondLoopback() throws Exception {
    // This run's Ray folder: the head's session inside, nobody else may enter; removed at the end.
    java.nio.file.Path root =
        RayTempDirs.base().resolve(RayTempDirs.PREFIX + ProcessHandle.current().pid());
    java.util.Optional<java.nio.file.Path> library;
    try (BufferAllocator allocator = new RootAllocator();
        Policy policy = Policy.create(RayRolloutPoolTest.MODEL, OptimizerConfig.defaults(1e-3), 1);
        RolloutPool pool =
            RolloutPools.create(
                new RolloutPoolContext(
                    policy, RayRolloutPoolTest.config("distributed.ray.actors=2"), allocator))) {
      // A step first, so every actor's worker JVM is up and serving.
      try (RolloutBatch batch =
          pool.generate(RayRolloutPoolTest.prompts(4, 1), 2, RayRolloutPoolTest.SAMPLING, 1)) {
        assertEquals(8, batch.size());
      }
      LocalRayHead head = RayCluster.localHead();
      assertEquals(
          "rwx------",
          java.nio.file.attribute.PosixFilePermissions.toString(
              java.nio.file.Files.getPosixFilePermissions(root)));
      try (var sessions = java.nio.file.Files.list(root.resolve("ray"))) {
        assertTrue(
            sessions.anyMatch(p -> p.getFileName().toString().startsWith("session_")),
            "the head's session folder is in " + root);
      }
      library = RayTempDirs.driverLibraryFolder(); // empty when an earlier test's was removed
      Set<Long> pids = new LinkedHashSet<>();
      pids.add(head.process().pid());
      head.process().descendants().forEach(p -> pids.add(p.pid()));
      pids.add(ProcessHandle.current().pid()); // the driver's own core-worker server
      List<SocketTable.Listener> listeners = SocketTable.listenersOf(pids);

      // The servers that are always there were found (else the check below proves nothing).
      int gcsPort = Integer.parseInt(head.address().substring(head.address().indexOf(':') + 1));
      assertTrue(
          listeners.stream()
              .anyMatch(l -> l.port() == gcsPort && l.command().contains("gcs_server")),
          "the GCS listener: " + listeners);
      assertTrue(
          listeners.stream().filter(l -> l.command().contains("/raylet")).count() >= 2,
          "the raylet's node and object manager ports: " + listeners);
      assertTrue(
          listeners.stream()
                  .filter(l -> l.command().contains("DefaultWorker"))
                  .map(SocketTable.Listener::pid)
                  .distinct()
                  .count()
              >= 2,
          "each actor's worker JVM: " + listeners);
      assertTrue(
          listeners.stream().anyMatch(l -> l.pid() == ProcessHandle.current().pid()),
          "the driver's core-worker server: " + listeners);

      List<SocketTable.Listener> exposed = new ArrayList<>();
      for (SocketTable.Listener l : listeners) {
        if (!l.loopback()) {
          exposed.add(l);
        }
      }
      assertEquals(List.of(), exposed, "Ray ports listening beyond loopback");

      // And from the outside view: no listener answers on this machine's other addresses.
      for (InetAddress own : nonLoopbackAddresses()) {
        for (SocketTable.Listener l : listeners) {
          assertTrue(!connects(own, l.port()), l + " answers on " + own.getHostAddress());
        }
      }
    }
    // The pool was the last user: the head is stopped and nothing of it stays on disk.
    assertTrue(!java.nio.file.Files.exists(root), root + " is removed");
    library.ifPresent(
        dir -> assertTrue(!java.nio.file.Files.exists(dir), "the driver's library folder " + dir));
  }

  private static List<InetAddress> nonLoopbackAddresses() throws IOException {
    List<InetAddress> out = new ArrayList<>();
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            out.add(a);
          }
        }
      }
    }
    return out;
  }

  private static boolean connects(InetAddress address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
