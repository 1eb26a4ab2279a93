package org.tokenrl.distributed;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.tokenrl.core.ConfigException;

/**
 * The Ray head a run starts for itself ({@code distributed.ray.address = ""}), reachable only from
 * this machine: every Ray server binds 127.0.0.1.
 *
 * <p>Why this works in Ray 2.39 (which has no authentication): each of its servers picks its bind
 * address from the node IP — the GCS, the raylet's node and object managers and every worker's gRPC
 * server bind 127.0.0.1 when the node IP is "127.0.0.1" and 0.0.0.0 otherwise, and so do the client
 * server, the dashboard agent, the runtime-env agent and the metrics exporter. {@code ray start
 * --node-ip-address=127.0.0.1} alone does not get there: the CLI replaces a loopback node IP with
 * the machine's outward address, except when {@code RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0} (Ray's
 * switch for single-machine clusters) is set in its environment. Ray's Java driver starts its head
 * with its own environment, so this class runs {@code ray start} itself and the driver joins it by
 * address with node IP 127.0.0.1.
 *
 * <p>{@code ray start --block} stays in the foreground as the parent of every head process, so
 * stopping this head stops exactly its processes (never another cluster on the machine, as {@code
 * ray stop} would), and its process tree is what tests inspect.
 */
final class LocalRayHead implements AutoCloseable {
  static final String LOOPBACK = "127.0.0.1";

  private final Process process;
  private final String address;
  private final Path log;

  private LocalRayHead(Process process, String address, Path log) {
    this.process = process;
    this.address = address;
    this.log = log;
  }

  /** Starts the head and returns once Ray reports it running, or fails with one line. */
  static LocalRayHead start(String rayCommand, int timeoutSeconds) {
    return start(rayCommand, timeoutSeconds, null);
  }

  /**
   * The same with Ray's session folder (logs, sockets, spill files) in {@code runDir/ray} instead
   * of {@code /tmp/ray}, and the head's log in {@code runDir}, so the run can remove them ({@link
   * RayTempDirs}); null keeps Ray's defaults.
   */
  static LocalRayHead start(String rayCommand, int timeoutSeconds, Path runDir) {
    Path log;
    Process process;
    String address;
    try {
      log =
          runDir != null
              ? runDir.resolve("ray-head.log")
              : Files.createTempFile("tokenrl-ray-head-", ".log");
      // Fixed ports Ray would otherwise default to (6379, 10001, 52365) collide with another head
      // on the machine: take free ones.
      int gcsPort = freeLoopbackPort();
      address = LOOPBACK + ":" + gcsPort;
      List<String> command =
          new ArrayList<>(
              List.of(
                  rayCommand,
                  "start",
                  "--head",
                  "--block",
                  "--node-ip-address=" + LOOPBACK,
                  "--port=" + gcsPort,
                  "--ray-client-server-port=" + freeLoopbackPort(),
                  "--dashboard-agent-listen-port=" + freeLoopbackPort(),
                  "--include-dashboard=false",
                  "--disable-usage-stats"));
      if (runDir != null) {
        command.add("--temp-dir=" + runDir.resolve("ray"));
      }
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.PIPE);
      Map<String, String> env = builder.environment();
      env.put("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0");
      process = builder.start();
    } catch (IOException e) {
      throw new ConfigException(
          "could not start a local Ray head ('"
              + rayCommand
              + " start --head'): "
              + e.getMessage());
    }
    LocalRayHead head = new LocalRayHead(process, address, log);
    head.awaitStarted(timeoutSeconds);
    return head;
  }

  /** The GCS address the driver joins: {@code 127.0.0.1:port}. */
  String address() {
    return address;
  }

  /** The {@code ray start --block} process: every head process (and worker) descends from it. */
  ProcessHandle process() {
    return process.toHandle();
  }

  private void awaitStarted(int timeoutSeconds) {
    long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
    while (true) {
      String output = output();
      if (output.contains("Ray runtime started")) {
        return;
      }
      if (!process.isAlive() || System.currentTimeMillis() > deadline) {
        String why =
            process.isAlive()
                ? "did not start within distributed.ray.init_timeout_s = " + timeoutSeconds + " s"
                : "exited with code " + process.exitValue();
        stop();
        throw new ConfigException(
            "the local Ray head ('ray start --head') "
                + why
                + ": "
                + lastLine(output)
                + " (full output: "
                + log
                + ")");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop();
        throw new ConfigException("interrupted while starting a local Ray head");
      }
    }
  }

  private String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines.length == 0 ? "" : lines[lines.length - 1].strip();
  }

  /**
   * Stops the head: SIGTERM to {@code ray start --block}, which stops its processes (the raylet
   * takes its workers down); whatever is left after a grace period is killed.
   */
  @Override
  public void close() {
    stop();
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // A leftover log in the temp directory is harmless.
    }
  }

  private void stop() {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    process.destroy();
    try {
      process.waitFor(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.destroyForcibly();
    for (ProcessHandle p : tree) {
      p.destroyForcibly();
    }
  }

  private static int freeLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      return s.getLocalPort();
    }
  }
}
