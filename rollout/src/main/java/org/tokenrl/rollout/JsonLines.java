package org.tokenrl.rollout;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tokenrl.core.ConfigException;

/**
 * Reading JSON Lines data files: one JSON object per line (nothing after it, no duplicate keys),
 * blank lines skipped, strict UTF-8, and every error as {@code file:line: what is wrong}. Text
 * fields must be printable ASCII, the alphabet of the character tokenizer.
 */
final class JsonLines {
  /** Strict: a duplicate key or anything after the object on its line is an error. */
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

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
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    List<String> lines = decodeLines(bytes, shown);
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

  /**
   * Splits {@code bytes} at newlines and decodes each line as strict UTF-8.
   *
   * @throws ConfigException naming {@code file:line} and the cause for binary data (a NUL byte) or
   *     bytes that are not UTF-8
   */
  static List<String> decodeLines(byte[] bytes, String shown) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] != '\n') {
        continue;
      }
      int end = i > start && bytes[i - 1] == '\r' ? i - 1 : i;
      String where = shown + ":" + (lines.size() + 1);
      for (int j = start; j < end; j++) {
        if (bytes[j] == 0) {
          throw new ConfigException(
              where
                  + ": binary data, not JSON Lines text (a NUL byte at column "
                  + (j - start + 1)
                  + ")");
        }
      }
      CharsetDecoder utf8 =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT);
      ByteBuffer in = ByteBuffer.wrap(bytes, start, end - start);
      try {
        lines.add(utf8.decode(in).toString());
      } catch (CharacterCodingException e) {
        throw new ConfigException(
            String.format(
                "%s: not valid UTF-8 (byte 0x%02x at byte %d of the line)",
                where, bytes[in.position()] & 0xff, in.position() - start + 1));
      }
      start = i + 1;
    }
    if (!lines.isEmpty() && bytes.length > 0 && bytes[bytes.length - 1] == '\n') {
      lines.remove(lines.size() - 1); // the empty piece after the final newline
    }
    return lines;
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
