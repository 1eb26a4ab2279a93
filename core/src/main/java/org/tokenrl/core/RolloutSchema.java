package org.tokenrl.core;

import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Column names and the Arrow schema of a {@link RolloutBatch}. Every module that reads a batch
 * names its columns through these constants; Python tools see the same names through pyarrow.
 *
 * <p>The schema metadata carries {@link #GROUP_SIZE_KEY} (rows per group; rows are group-major) and
 * {@link #FORMAT_VERSION_KEY}, so a batch read back from bytes or a file knows its layout.
 */
public final class RolloutSchema {
  public static final String PROMPT_IDS = "prompt_ids";
  public static final String RESPONSE_IDS = "response_ids";
  public static final String LOGPROBS = "logprobs";
  public static final String ENTROPIES = "entropies";
  public static final String EXAMPLE_ID = "example_id";
  public static final String GROUP = "group";
  public static final String TRUNCATED = "truncated";
  public static final String REFERENCE = "reference";
  public static final String REWARD = "reward";

  /**
   * Per response token: true where the policy wrote it (it carries loss and credit), false where an
   * environment, a tool or the chat template inserted it in a multi-turn rollout. Single-turn rows
   * are all true. Added in format version 2; a version 1 batch reads as all true.
   */
  public static final String LOSS_MASK = "loss_mask";

  /** Schema metadata key: number of consecutive rows that form one group. */
  public static final String GROUP_SIZE_KEY = "group_size";

  /** Schema metadata key: layout version, bumped when columns change meaning. */
  public static final String FORMAT_VERSION_KEY = "format_version";

  public static final String FORMAT_VERSION = "2";

  /** The version before {@link #LOSS_MASK}: the same columns without it, still read. */
  static final String FORMAT_VERSION_1 = "1";

  /** Child field name of list columns; "item" is what pyarrow's {@code pa.list_} uses. */
  private static final String LIST_ITEM = "item";

  private static final ArrowType INT32 = new ArrowType.Int(32, true);
  private static final ArrowType FLOAT32 =
      new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
  private static final ArrowType FLOAT64 =
      new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

  /** The columns in storage order. All are non-null, and so are list elements. */
  public static final List<Field> FIELDS =
      List.of(
          list(PROMPT_IDS, INT32),
          list(RESPONSE_IDS, INT32),
          list(LOGPROBS, FLOAT32),
          list(ENTROPIES, FLOAT32),
          scalar(EXAMPLE_ID, INT32),
          scalar(GROUP, INT32),
          scalar(TRUNCATED, ArrowType.Bool.INSTANCE),
          scalar(REFERENCE, ArrowType.Utf8.INSTANCE),
          scalar(REWARD, FLOAT64),
          list(LOSS_MASK, ArrowType.Bool.INSTANCE));

  private RolloutSchema() {}

  /** The schema of a batch whose groups have {@code groupSize} rows. */
  public static Schema schema(int groupSize) {
    if (groupSize < 1) {
      throw new IllegalArgumentException("groupSize must be >= 1, got " + groupSize);
    }
    return new Schema(
        FIELDS,
        Map.of(GROUP_SIZE_KEY, Integer.toString(groupSize), FORMAT_VERSION_KEY, FORMAT_VERSION));
  }

  /**
   * Checks that {@code schema} has our columns in our order with our types (nullability is not
   * compared: nulls are rejected when data is read) and returns its group size.
   */
  static int validate(Schema schema) {
    List<Field> fields = schema.getFields();
    Map<String, String> metadata = schema.getCustomMetadata();
    boolean v1 =
        metadata != null
            && FORMAT_VERSION_1.equals(metadata.get(FORMAT_VERSION_KEY))
            && fields.size() == FIELDS.size() - 1;
    if (fields.size() != FIELDS.size() && !v1) {
      throw new IllegalArgumentException(
          "not a rollout batch: expected columns " + names(FIELDS) + " but found " + names(fields));
    }
    for (int i = 0; i < fields.size(); i++) {
      Field want = FIELDS.get(i);
      Field got = fields.get(i);
      if (!want.getName().equals(got.getName()) || !sameType(want, got)) {
        throw new IllegalArgumentException(
            "not a rollout batch: column "
                + i
                + " must be "
                + describe(want)
                + " but is "
                + describe(got));
      }
    }
    Map<String, String> meta = schema.getCustomMetadata();
    String version = meta == null ? null : meta.get(FORMAT_VERSION_KEY);
    if (!FORMAT_VERSION.equals(version) && !v1) {
      throw new IllegalArgumentException(
          "rollout batch schema metadata '"
              + FORMAT_VERSION_KEY
              + "' is "
              + version
              + ", this build reads version "
              + FORMAT_VERSION);
    }
    String groupSize = meta.get(GROUP_SIZE_KEY);
    try {
      int g = Integer.parseInt(groupSize);
      if (g >= 1) {
        return g;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "rollout batch schema metadata '"
            + GROUP_SIZE_KEY
            + "' must be a positive integer, got "
            + groupSize);
  }

  static boolean sameType(Field want, Field got) {
    if (!want.getType().equals(got.getType())
        || want.getChildren().size() != got.getChildren().size()) {
      return false;
    }
    for (int i = 0; i < want.getChildren().size(); i++) {
      if (!sameType(want.getChildren().get(i), got.getChildren().get(i))) {
        return false;
      }
    }
    return true;
  }

  static String describe(Field f) {
    StringBuilder sb = new StringBuilder(f.getName()).append(':').append(f.getType());
    for (Field c : f.getChildren()) {
      sb.append('<').append(c.getType()).append('>');
    }
    return sb.toString();
  }

  static List<String> names(List<Field> fields) {
    return fields.stream().map(Field::getName).toList();
  }

  static Field scalar(String name, ArrowType type) {
    return new Field(name, FieldType.notNullable(type), null);
  }

  static Field list(String name, ArrowType element) {
    return new Field(
        name,
        FieldType.notNullable(ArrowType.List.INSTANCE),
        List.of(new Field(LIST_ITEM, FieldType.notNullable(element), null)));
  }
}
