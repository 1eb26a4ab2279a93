package org.tokenrl.rewards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs the real NLTK ({@code bleu_nltk.py}, a resource next to this class) in one python process
 * per request. Python is {@code python3} unless the system property {@code tokenrl.python} names
 * another interpreter. Used by the tests and by {@link BleuBenchmark}.
 */
public final class BleuNltk {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BleuNltk() {}

  /** Sends {@code request} (serialised as JSON) to the script and returns its JSON answer. */
  public static JsonNode run(Map<String, Object> request) {
    String python = System.getProperty("tokenrl.python", "python3");
    Path errors = null;
    try (InputStream script = BleuNltk.class.getResourceAsStream("bleu_nltk.py")) {
      if (script == null) {
        throw new IllegalStateException("bleu_nltk.py is missing from the classpath");
      }
      String code = new String(script.readAllBytes(), StandardCharsets.UTF_8);
      errors = Files.createTempFile("bleu_nltk", ".err");
      Process p =
          new ProcessBuilder(python, "-c", code).redirectError(errors.toFile()).start();
      IOException writeFailure = null; // a python that dies at import closes its stdin early
      try (OutputStream in = p.getOutputStream()) {
        JSON.writeValue(in, request);
      } catch (IOException e) {
        writeFailure = e;
      }
      byte[] answer;
      try (InputStream out = p.getInputStream()) {
        answer = out.readAllBytes();
      }
      int rc = p.waitFor();
      if (rc != 0 || writeFailure != null) {
        throw new IllegalStateException(
            python + " exited with " + rc + " (is nltk installed? pip install -r"
                + " requirements-test.txt):\n" + Files.readString(errors), writeFailure);
      }
      return JSON.readTree(answer);
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + python + " for the NLTK reference", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + python, e);
    } finally {
      if (errors != null) {
        errors.toFile().delete();
      }
    }
  }

  /** The doubles of a JSON array. */
  public static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asDouble();
    }
    return out;
  }
}
