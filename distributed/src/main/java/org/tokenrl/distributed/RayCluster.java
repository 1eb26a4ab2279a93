package org.tokenrl.distributed;

import com.typesafe.config.ConfigFactory;
import io.ray.api.Ray;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.JvmFlags;

/**
 * This JVM's connection to a Ray cluster. Ray's Java API is one static runtime per JVM, so pools
 * share it: the first {@link #acquire} connects (starting a local head when no address is
 * configured), the last {@link #release} disconnects, and a shutdown hook disconnects on exit and
 * Ctrl-C. A head started here ({@link LocalRayHead}: loopback only) is stopped with it; a user's
 * cluster keeps running.
 *
 * <p>Start-up problems the user fixes outside the code (no or another Python ray, nothing at the
 * address, a head that does not come up) are {@link ConfigException}s: the CLI prints their one
 * line and exits, without a stack trace.
 *
 * <p>Everything Ray's driver reads is set as {@code ray.*} system properties right before {@code
 * Ray.init}: CLUSTER run mode (never LOCAL: its actors mix up calls, ray-project/ray#61827), the
 * code search path (this JVM's classpath), and the workers' JVM options and environment.
 */
final class RayCluster {
  /** The io.ray jars' version (root pom {@code ray.version}); the Python package must match. */
  static final String RAY_VERSION = "2.39.0";

  private static int users;
  private static Thread shutdownHook;
  private static LocalRayHead head; // null when joined to a user's cluster
  private static RayTempDirs tempDirs; // what this connection leaves on disk, removed with it

  private RayCluster() {}

  /** Connects this JVM (first caller) or joins the existing connection. */
  static synchronized void acquire(DistributedConfig cfg) {
    if (users == 0) {
      if (Ray.isInitialized()) {
        throw new IllegalStateException(
            "Ray is already initialised in this JVM by someone else; tokenrl's Ray pool must own"
                + " the connection");
      }
      checkPythonRay("ray");
      if (!cfg.address().isEmpty()) {
        checkReachable(cfg.address());
      }
      tempDirs = RayTempDirs.create(cfg.keepLogs()); // also removes what killed runs left
      if (cfg.address().isEmpty()) {
        head = LocalRayHead.start("ray", cfg.initTimeoutSeconds(), tempDirs.root());
        tempDirs.recordHead(head.process().pid());
      }
      setRayProperties(cfg);
      init(cfg);
      tempDirs.recordDriverLibrary();
      shutdownHook = new Thread(RayCluster::shutdownQuietly, "tokenrl-ray-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }
    users++;
  }

  /** Drops one user; the last one disconnects (and stops a head this JVM started). */
  static synchronized void release() {
    if (users == 0) {
      return;
    }
    if (--users == 0) {
      shutdownQuietly();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook runs (and finds Ray stopped).
      }
      shutdownHook = null;
    }
  }

  private static void shutdownQuietly() {
    synchronized (Ray.class) {
      if (Ray.isInitialized()) {
        Ray.shutdown();
      }
    }
    LocalRayHead started = head;
    head = null;
    if (started != null) {
      started.close();
    }
    RayTempDirs dirs = tempDirs;
    tempDirs = null;
    if (dirs != null) {
      dirs.close(); // after the head stopped: nothing writes there any more
    }
  }

  /**
   * Where Ray's logs of this connection are: a local head's session folder (removed at the end of
   * the run unless distributed.ray.keep_logs = true), or the cluster head's /tmp/ray.
   */
  static String logs() {
    if (tempDirs != null && head != null) {
      return tempDirs.rayTempDir().resolve("session_latest/logs")
          + " (kept after the run with distributed.ray.keep_logs = true)";
    }
    return "/tmp/ray/session_latest/logs on the cluster's head";
  }

  /** The head this JVM started for its run, if any (tests inspect its processes). */
  static synchronized LocalRayHead localHead() {
    return head;
  }

  /**
   * Fails with one line saying what to install unless the {@code ray} command (what Ray's driver
   * runs to start a head, and what every node runs) is the Python package of {@link #RAY_VERSION}.
   */
  static void checkPythonRay(String rayCommand) {
    String output;
    try {
      output = run(List.of(rayCommand, "--version"), 60);
    } catch (IOException e) {
      throw new ConfigException(
          "distributed.backend = ray needs the Python package ray "
              + RAY_VERSION
              + " (cannot run '"
              + rayCommand
              + " --version': "
              + e.getMessage()
              + "): pip install ray=="
              + RAY_VERSION
              + " and put its 'ray' command on PATH");
    }
    // "ray, version 2.39.0"
    String version = output.strip().replaceFirst("(?s).*version\\s+", "").strip();
    if (!version.equals(RAY_VERSION)) {
      throw new ConfigException(
          "the Python package ray on PATH is version "
              + version
              + " but tokenrl's io.ray jars are "
              + RAY_VERSION
              + " (they must match): pip install ray=="
              + RAY_VERSION);
    }
  }

  /** The IP address of the cluster's first node (the head this JVM joined), or "?" if unknown. */
  static String nodeAddress() {
    try {
      return Ray.getRuntimeContext().getAllNodeInfo().get(0).nodeAddress;
    } catch (RuntimeException e) {
      return "?";
    }
  }

  /** Fails fast, with what to do, when nothing listens at a configured cluster address. */
  static void checkReachable(String address) {
    int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon);
    int port = Integer.parseInt(address.substring(colon + 1));
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 5000);
    } catch (IOException e) {
      throw new ConfigException(
          "cannot reach a Ray cluster at distributed.ray.address = "
              + address
              + " ("
              + e.getMessage()
              + "): start one there with 'ray start --head --port="
              + port
              + "', or set distributed.ray.address = \"\" to start a local head");
    }
  }

  private static void setRayProperties(DistributedConfig cfg) {
    clearRayProperties();
    System.setProperty("ray.run-mode", "CLUSTER");
    if (head != null) {
      // The head started here listens on loopback only; the driver's own gRPC server binds by
      // its node IP like every Ray server, so it joins as 127.0.0.1 too.
      System.setProperty("ray.address", head.address());
      System.setProperty("ray.node-ip", LocalRayHead.LOOPBACK);
    } else {
      System.setProperty("ray.address", cfg.address());
    }
    System.setProperty("ray.job.code-search-path", CodeSearchPath.ofThisJvm());
    List<String> jvm = new ArrayList<>(JvmFlags.required()); // the same flags as the driver's
    jvm.add("-Xmx" + cfg.workerHeap());
    // ND4J frees off-heap buffers only on GC: bound them like the driver's.
    jvm.add("-Dorg.bytedeco.javacpp.maxbytes=2g");
    jvm.add("-Dorg.bytedeco.javacpp.maxphysicalbytes=6g");
    String pause = System.getProperty(PausePoint.PROPERTY, "");
    if (!pause.isEmpty()) {
      jvm.add("-D" + PausePoint.PROPERTY + "=" + pause); // fault-tolerance tests only
    }
    for (int i = 0; i < jvm.size(); i++) {
      System.setProperty("ray.job.jvm-options." + i, jvm.get(i));
    }
    // One OpenMP thread per actor: actors are the unit of parallelism, and on a small machine
    // N actors x all-core thread pools only contend.
    System.setProperty("ray.job.runtime-env.env-vars.OMP_NUM_THREADS", "1");
    // Ray reads its settings through Typesafe Config, which caches system properties.
    ConfigFactory.invalidateCaches();
  }

  private static void clearRayProperties() {
    for (String key : List.copyOf(System.getProperties().stringPropertyNames())) {
      if (key.startsWith("ray.job.jvm-options.")
          || key.startsWith("ray.head-args.")
          || key.equals("ray.address")
          || key.equals("ray.node-ip")) {
        System.clearProperty(key);
      }
    }
  }

  /** Ray.init, bounded by {@code init_timeout_s} (joining a cluster has no timeout of its own). */
  private static void init(DistributedConfig cfg) {
    FutureTask<Void> init = new FutureTask<>(Ray::init, null);
    Thread thread = new Thread(init, "tokenrl-ray-init");
    thread.setDaemon(true);
    thread.start();
    String where =
        cfg.address().isEmpty()
            ? "the local Ray head at " + head.address()
            : "the Ray cluster at " + cfg.address();
    try {
      init.get(cfg.initTimeoutSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      init.cancel(true);
      shutdownQuietly();
      throw new ConfigException(
          "could not connect to "
              + where
              + " within distributed.ray.init_timeout_s = "
              + cfg.initTimeoutSeconds()
              + " s; check 'ray status' and the logs in "
              + logs());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shutdownQuietly();
      throw new ConfigException("interrupted while connecting to " + where, e);
    } catch (ExecutionException e) {
      shutdownQuietly();
      throw new ConfigException(
          "could not start or join "
              + where
              + ": "
              + e.getCause()
              + (cfg.address().isEmpty()
                  ? " (is 'ray start --head' possible here? see " + logs() + ")"
                  : " (start the cluster with 'ray start --head' on that machine)"),
          e.getCause());
    }
  }

  /** Runs a short command and returns stdout+stderr; fails if it does not end in time. */
  static String run(List<String> command, int timeoutSeconds) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(
            String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
      }
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while running " + String.join(" ", command), e);
    }
  }
}
