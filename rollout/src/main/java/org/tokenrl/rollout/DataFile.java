package org.tokenrl.rollout;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tokenrl.core.ConfigException;

/**
 * The rows of a data file as JSON objects, whatever the file's format, each with where it was read
 * ({@code file:line} or {@code file: row N}) for error messages:
 *
 * <ul>
 *   <li>{@code .jsonl} (also {@code .ndjson}): one object per line, blank lines skipped;
 *   <li>{@code .json}: an array of objects, an object whose {@code "data"} is one (the layout
 *       Hugging Face's {@code load_dataset("json", field="data")} reads), or JSON Lines (what
 *       {@code Dataset.to_json} writes, also under a {@code .json} name);
 *   <li>{@code .parquet}: every row group of the file ({@link ParquetRows}).
 * </ul>
 *
 * Text is strict UTF-8; duplicate keys are errors.
 */
public final class DataFile {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** One row; {@code where} names the file and line or row. */
  public record Row(String where, ObjectNode object) {}

  private DataFile() {}

  /** The formats by file name ending, for messages. */
  static final String FORMATS = ".jsonl, .json or .parquet";

  /**
   * Reads every row of {@code file}.
   *
   * @param shown the file name used in messages (as the user wrote it)
   * @throws ConfigException naming the file (and line or row) for an unknown format, a malformed
   *     file, a row that is not an object, or a file without rows
   */
  public static List<Row> read(Path file, String shown) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    List<Row> rows;
    if (name.endsWith(".parquet")) {
      rows = ParquetRows.read(file, shown);
    } else if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
      rows = jsonLines(file, shown);
    } else if (name.endsWith(".json")) {
      rows = json(file, shown);
    } else {
      throw new ConfigException(
          shown + ": unknown data file format (the name must end in " + FORMATS + ")");
    }
    if (rows.isEmpty()) {
      throw new ConfigException(shown + ": no rows");
    }
    return rows;
  }

  private static List<Row> jsonLines(Path file, String shown) {
    List<String> lines = JsonLines.decodeLines(bytes(file), shown);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      String where = shown + ":" + (i + 1);
      JsonNode node;
      try {
        node = JSON.readTree(lines.get(i));
      } catch (JsonProcessingException e) {
        throw new ConfigException(where + ": not valid JSON: " + e.getOriginalMessage(), e);
      }
      rows.add(new Row(where, object(node, where)));
    }
    return rows;
  }

  private static List<Row> json(Path file, String shown) {
    byte[] bytes = bytes(file);
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(java.nio.ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      return jsonLines(file, shown); // names the line with the bad bytes
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      if (text.stripLeading().startsWith("{")) {
        return jsonLines(file, shown); // JSON Lines under a .json name; names a bad line
      }
      throw new ConfigException(
          shown + ":" + e.getLocation().getLineNr() + ": not valid JSON: " + e.getOriginalMessage(),
          e);
    }
    JsonNode array = root;
    String prefix = "";
    if (root != null && root.isObject()) {
      array = root.get("data");
      prefix = "data";
      if ((array == null || !array.isArray()) && !text.strip().contains("\n")) {
        return jsonLines(file, shown); // a JSON Lines file of one row
      }
      if (array == null || !array.isArray()) {
        throw new ConfigException(
            shown
                + ": expected an array of rows, or an object whose \"data\" is one (keys found: "
                + String.join(", ", iterable(root.fieldNames()))
                + ")");
      }
    }
    if (array == null || !array.isArray()) {
      throw new ConfigException(shown + ": expected an array of rows (JSON objects)");
    }
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String where = shown + ": " + prefix + "[" + i + "]";
      rows.add(new Row(where, object(array.get(i), where)));
    }
    return rows;
  }

  private static ObjectNode object(JsonNode node, String where) {
    if (node == null || !node.isObject()) {
      throw new ConfigException(
          where
              + ": expected a JSON object (one row), got "
              + (node == null
                  ? "nothing"
                  : node.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    return (ObjectNode) node;
  }

  private static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
