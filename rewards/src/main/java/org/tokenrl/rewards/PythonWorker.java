package org.tokenrl.rewards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One {@code python -I reward_worker.py} child process and its pipes: writes one JSON line, waits
 * at most {@code timeoutSeconds} for one JSON line back. The process is killed by {@link #close},
 * by a JVM shutdown hook, and ends itself when its stdin closes or its parent is gone.
 *
 * <p>Every failure is a {@link RewardException} with sample -1 (a failure of the worker, not of a
 * row); after one the worker is dead and {@link PythonReward} starts a new one on the next call.
 */
final class PythonWorker implements AutoCloseable {
  static final int PROTOCOL = 1;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNode EOF = JSON.createObjectNode();
  private static final int STDERR_LINES = 20;
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static Path script;

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> LIVE.forEach(Process::destroyForcibly), "tokenrl-python-rewards"));
  }

  private final String component;
  private final String what; // "python reward <file>:<function>", for messages
  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<JsonNode> answers = new LinkedBlockingQueue<>();
  private final Deque<String> stderrTail = new ArrayDeque<>();
  private final long timeoutSeconds;

  private PythonWorker(String component, String what, Process process, long timeoutSeconds) {
    this.component = component;
    this.what = what;
    this.process = process;
    this.timeoutSeconds = timeoutSeconds;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread out = new Thread(this::readAnswers, "python-reward-stdout-" + process.pid());
    out.setDaemon(true);
    out.start();
    Thread err = new Thread(this::readStderr, "python-reward-stderr-" + process.pid());
    err.setDaemon(true);
    err.start();
  }

  /** Starts {@code python -I reward_worker.py}; fails with one line if the interpreter cannot. */
  static PythonWorker start(String component, String what, String python, long timeoutSeconds) {
    Process process;
    try {
      process =
          new ProcessBuilder(
                  List.of(
                      python,
                      "-I",
                      script().toString(),
                      Long.toString(ProcessHandle.current().pid())))
              .start();
    } catch (IOException e) {
      throw new RewardException(
          component,
          -1,
          what + ": cannot start the Python worker with python = " + python + ": " + e.getMessage(),
          e);
    }
    LIVE.add(process);
    return new PythonWorker(component, what, process, timeoutSeconds);
  }

  /** The worker script, copied out of the jar once per JVM. */
  private static synchronized Path script() throws IOException {
    if (script == null) {
      try (InputStream in = PythonWorker.class.getResourceAsStream("reward_worker.py")) {
        if (in == null) {
          throw new IOException("reward_worker.py is missing from the rewards jar");
        }
        Path file = Files.createTempFile("tokenrl-reward-worker", ".py");
        file.toFile().deleteOnExit();
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        script = file;
      }
    }
    return script;
  }

  long pid() {
    return process.pid();
  }

  /** Sends {@code request} (with {@code v} set) and returns the answer line. */
  JsonNode call(Map<String, Object> request) {
    try {
      stdin.write(JSON.writeValueAsString(request));
      stdin.write('\n');
      stdin.flush();
    } catch (IOException e) {
      throw died("its stdin closed", e);
    }
    JsonNode answer;
    try {
      answer = answers.poll(timeoutSeconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new RewardException(component, -1, what + ": interrupted", e);
    }
    if (answer == null) {
      close();
      throw new RewardException(
          component,
          -1,
          what
              + ": no answer within timeout_s = "
              + timeoutSeconds
              + " s; the worker was stopped (a new one starts on the next call)",
          null);
    }
    if (answer == EOF) {
      throw died("it exited", null);
    }
    if (answer.path("v").asInt() != PROTOCOL) {
      close();
      throw new RewardException(
          component, -1, what + ": the worker speaks protocol " + answer.path("v"), null);
    }
    return answer;
  }

  private RewardException died(String how, Throwable cause) {
    close();
    try {
      process.waitFor(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String code = process.isAlive() ? "" : " with code " + process.exitValue();
    String tail;
    synchronized (stderrTail) {
      tail = stderrTail.isEmpty() ? "" : "; its stderr ended with: " + stderrTail.peekLast();
    }
    return new RewardException(
        component, -1, what + ": the Python worker died (" + how + code + ")" + tail, cause);
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Kills the process (idempotent). */
  @Override
  public void close() {
    try {
      stdin.close();
    } catch (IOException ignored) {
      // already gone
    }
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LIVE.remove(process);
  }

  private void readAnswers() {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        try {
          answers.add(JSON.readTree(line));
        } catch (IOException e) {
          answers.add(JSON.createObjectNode().put("v", -1).put("bad", line));
        }
      }
    } catch (IOException | UncheckedIOException ignored) {
      // the process was killed
    }
    answers.add(EOF);
  }

  /** Passes the user's prints and warnings through to our stderr, keeping the last lines. */
  private void readStderr() {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        System.err.println("[" + component + "] " + line);
        synchronized (stderrTail) {
          stderrTail.addLast(line);
          if (stderrTail.size() > STDERR_LINES) {
            stderrTail.removeFirst();
          }
        }
      }
    } catch (IOException ignored) {
      // the process was killed
    }
  }
}
