package org.tokenrl.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tokenrl.core.ConfigException;

/**
 * Reading JSON Lines data files: one JSON object per line, blank lines skipped, and every error as
 * {@code file:line: what is wrong}. Text fields must be printable ASCII, the alphabet of the
 * character tokenizer.
 */
final class JsonLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One parsed line; {@code where} is {@code file:line} for error messages. */
  record Line(int number, String where, JsonNode object) {
    /** The string field {@code name}, checked to be present, textual and printable ASCII. */
    String text(String name) {
      JsonNode value = object.get(name);
      if (value == null) {
        throw new ConfigException(where + ": missing \"" + name + "\"");
      }
      if (!value.isTextual()) {
        throw new ConfigException(
            where
                + ": \""
                + name
                + "\" must be a string, got "
                + value.getNodeType().toString().toLowerCase()
                + " "
                + value);
      }
      String text = value.textValue();
      if (Example.firstNonPrintable(text) >= 0) {
        throw new ConfigException(where + ": " + Example.describeNonPrintable(name, text));
      }
      return text;
    }
  }

  private JsonLines() {}

  /**
   * Parses every non-blank line of {@code file} as a JSON object.
   *
   * @param shown the file name used in messages (as the user wrote it)
   * @param shape an example object for the "expected a JSON object like ..." message
   * @throws ConfigException for a line that is not a JSON object, or a file without any
   */
  static List<Line> read(Path file, String shown, String shape) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    List<Line> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).isBlank()) {
        out.add(parse(lines.get(i), shown + ":" + (i + 1), i + 1, shape));
      }
    }
    if (out.isEmpty()) {
      throw new ConfigException(shown + ": no examples (expected one JSON object per line)");
    }
    return out;
  }

  private static Line parse(String line, String where, int number, String shape) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new ConfigException(where + ": not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (!node.isObject()) {
      throw new ConfigException(
          where
              + ": expected a JSON object like "
              + shape
              + ", got "
              + node.getNodeType().toString().toLowerCase());
    }
    return new Line(number, where, node);
  }
}
