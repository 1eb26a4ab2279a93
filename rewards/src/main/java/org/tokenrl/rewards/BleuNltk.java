package org.tokenrl.rewards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.tokenrl.core.Python;

/**
 * Runs the real NLTK ({@code bleu_nltk.py}, a resource next to this class) in one python process
 * per request, through {@link Python}. Used by the tests and by {@code tokenrl bench bleu}.
 */
public final class BleuNltk {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BleuNltk() {}

  /** Sends {@code request} (serialised as JSON) to the script and returns its JSON answer. */
  public static JsonNode run(Map<String, Object> request) {
    try (InputStream script = BleuNltk.class.getResourceAsStream("bleu_nltk.py")) {
      if (script == null) {
        throw new IllegalStateException("bleu_nltk.py is missing from the classpath");
      }
      String code = new String(script.readAllBytes(), StandardCharsets.UTF_8);
      Python.Result r = Python.run(code, JSON.writeValueAsString(request), 600);
      if (r.exitCode() != 0) {
        throw new IllegalStateException(
            Python.interpreter()
                + " exited with "
                + r.exitCode()
                + " (is nltk installed? pip"
                + " install -r requirements-test.txt):\n"
                + r.err());
      }
      return JSON.readTree(r.out());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not run " + Python.interpreter() + " for the NLTK reference", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + Python.interpreter(), e);
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
