package org.tokenrl.rollout.env;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.Python;

/**
 * The {@code python} environment: a class in a user's {@code .py} file, run by one persistent
 * {@code python3 -I} worker ({@code env_worker.py}) that speaks JSON lines, protocol version 1
 * (docs/multi-turn.md), like the Python reward worker. One worker serves every row; requests are
 * serialised. A call past the timeout kills the worker (the next row starts a new one); the worker
 * exits when its stdin closes or this JVM is gone.
 */
public final class PythonEnvironments implements EnvironmentFactory {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EOF = "\u0000eof";
  private final Path file;
  private final String className;
  private final Map<String, Object> options;
  private final double timeoutSeconds;
  private final AtomicLong ids = new AtomicLong();
  private Process process;
  private Writer stdin;
  private BlockingQueue<String> lines;
  private long generation; // bumps when the worker is restarted: older environments are gone

  public PythonEnvironments(
      Path file, String className, Map<String, Object> options, double timeoutSeconds) {
    this.file = file.toAbsolutePath();
    this.className = className;
    this.options = options;
    this.timeoutSeconds = timeoutSeconds;
  }

  @Override
  public String name() {
    return "python " + file.getFileName() + ":" + className;
  }

  @Override
  public Environment create(EnvRow row) throws IOException {
    long id = ids.incrementAndGet();
    ObjectNode req = JSON.createObjectNode().put("type", "create").put("id", id);
    ObjectNode r = req.putObject("row");
    r.put("row", row.row()).put("example_id", row.exampleId()).put("prompt", row.prompt());
    r.put("reference", row.reference()).put("seed", row.seed());
    r.set("messages", messages(row.messages()));
    long[] gen = new long[1];
    JsonNode answer = request(req, gen);
    List<Map<String, Object>> tools =
        JSON.convertValue(answer.path("tools"), new TypeReference<List<Map<String, Object>>>() {});
    return new Environment() {
      @Override
      public List<Map<String, Object>> tools() {
        return tools;
      }

      @Override
      public EnvStep step(EnvTurn turn) throws IOException {
        checkSameWorker(gen[0]);
        ObjectNode s = JSON.createObjectNode().put("type", "step").put("id", id);
        ObjectNode t = s.putObject("turn");
        t.put("index", turn.index()).put("text", turn.text()).put("last_turn", turn.lastTurn());
        t.set("ids", JSON.valueToTree(turn.ids()));
        t.set("messages", messages(turn.messages()));
        t.set("prompt_ids", JSON.valueToTree(turn.promptIds()));
        t.set("response_ids", JSON.valueToTree(turn.responseIds()));
        JsonNode a = request(s, null);
        List<ChatTemplate.Message> obs = new ArrayList<>();
        for (JsonNode m : a.path("observation")) {
          obs.add(new ChatTemplate.Message(m.path("role").asText(), m.path("content").asText()));
        }
        boolean done = a.path("done").asBoolean() || obs.isEmpty();
        return new EnvStep(done ? List.of() : obs, done, a.path("reward").asDouble());
      }

      @Override
      public void close() {
        send(JSON.createObjectNode().put("type", "close").put("id", id));
      }
    };
  }

  private static JsonNode messages(List<ChatTemplate.Message> messages) {
    var array = JSON.createArrayNode();
    for (ChatTemplate.Message m : messages) {
      array.addObject().put("role", m.role()).put("content", m.content());
    }
    return array;
  }

  private synchronized void checkSameWorker(long gen) throws IOException {
    if (gen != generation || process == null) {
      throw new EnvironmentException(
          "the Python worker was restarted after a timeout; this row is lost");
    }
  }

  /** Sends one request and waits for its one-line answer; an error answer throws. */
  private synchronized JsonNode request(ObjectNode req, long[] genOut) throws IOException {
    ensureStarted();
    if (genOut != null) {
      genOut[0] = generation;
    }
    write(req);
    JsonNode answer = read();
    if (answer.path("type").asText().equals("error")) {
      throw new EnvironmentException(answer.path("error").asText());
    }
    return answer;
  }

  private synchronized void send(ObjectNode req) {
    if (process != null && process.isAlive()) {
      try {
        write(req);
      } catch (IOException e) {
        // the worker is gone; closing is moot
      }
    }
  }

  private void write(ObjectNode req) throws IOException {
    req.put("v", 1);
    stdin.write(JSON.writeValueAsString(req) + "\n");
    stdin.flush();
  }

  private JsonNode read() throws IOException {
    String line;
    try {
      line = lines.poll(Math.round(timeoutSeconds * 1000), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      kill();
      Thread.currentThread().interrupt();
      throw new EnvironmentException("interrupted waiting for the Python environment worker");
    }
    if (line == null) {
      kill();
      throw new EnvironmentException(
          "the Python environment worker did not answer within " + timeoutSeconds + " s");
    }
    if (line.equals(EOF)) {
      kill();
      throw new EnvironmentException("the Python environment worker exited (see its stderr above)");
    }
    return JSON.readTree(line);
  }

  private void ensureStarted() throws IOException {
    if (process != null && process.isAlive()) {
      return;
    }
    if (!Files.isRegularFile(file)) {
      throw new IOException("rollout.env.path = " + file + " is not a file");
    }
    Path script = Files.createTempFile("tokenrl_env_worker", ".py");
    script.toFile().deleteOnExit();
    try (InputStream in = PythonEnvironments.class.getResourceAsStream("env_worker.py")) {
      Files.write(script, in.readAllBytes());
    }
    process =
        Python.processBuilder(script.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    generation++;
    Process p = process;
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    stdin = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
    BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    lines = queue;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = out.readLine(); l != null; l = out.readLine()) {
                  queue.add(l);
                }
              } catch (IOException e) {
                // the worker died; EOF below tells the waiting request
              }
              queue.add(EOF);
            },
            "python-env-reader");
    reader.setDaemon(true);
    reader.start();
    ObjectNode load = JSON.createObjectNode().put("type", "load");
    load.put("path", file.toString()).put("class", className);
    load.put("parent_pid", ProcessHandle.current().pid());
    load.set("options", JSON.valueToTree(options));
    write(load);
    JsonNode ready = read();
    if (!ready.path("type").asText().equals("ready")) {
      kill();
      throw new EnvironmentException(
          "cannot load " + file + ":" + className + ": " + ready.path("error").asText());
    }
  }

  private synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      process = null;
    }
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      try {
        stdin.close(); // the worker exits on end of input
      } catch (IOException e) {
        // already gone
      }
      kill();
    }
  }
}
