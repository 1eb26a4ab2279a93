package org.tokenrl.core;

import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Column names and the Arrow schema of a {@link PreferenceBatch}: preference pairs with cached
 * reference log-probs and optional token weights. Schema metadata: {@link #KIND_KEY} = {@code
 * preference}, {@link #WEIGHTS_KEY} = what the weight columns hold ({@link TokenWeights}), and
 * {@link #FORMAT_VERSION_KEY}.
 */
public final class PreferenceSchema {
  public static final String PAIR_ID = "pair_id";
  public static final String PROMPT_IDS = "prompt_ids";
  public static final String CHOSEN_IDS = "chosen_ids";
  public static final String REJECTED_IDS = "rejected_ids";
  public static final String REF_CHOSEN_LOGPROBS = "ref_chosen_logprobs";
  public static final String REF_REJECTED_LOGPROBS = "ref_rejected_logprobs";

  /** Nullable: null where a pair has no weights for that response. */
  public static final String CHOSEN_TOKEN_WEIGHTS = "chosen_token_weights";

  /** Nullable: null where a pair has no weights for that response. */
  public static final String REJECTED_TOKEN_WEIGHTS = "rejected_token_weights";

  public static final String KIND_KEY = "tokenrl.kind";
  public static final String KIND = "preference";
  public static final String WEIGHTS_KEY = "tokenrl.weights";
  public static final String FORMAT_VERSION_KEY = "tokenrl.format_version";
  public static final String FORMAT_VERSION = "1";

  /** What the token-weight columns hold. */
  public enum TokenWeights {
    /** No weights: every weight cell is null (plain DPO). */
    NONE("none"),
    /** T-REG's token rewards r̂ in (−0.5, 0.5), on both responses (docs/preference.md §3.1). */
    TREG("treg"),
    /** cDPO's 1 − s_t on the rejected response; chosen weights null (docs/preference.md §4.2). */
    CDPO("cdpo");

    private final String label;

    TokenWeights(String label) {
      this.label = label;
    }

    /** The metadata value: {@code none}, {@code treg} or {@code cdpo}. */
    public String label() {
      return label;
    }

    public static TokenWeights fromLabel(String label) {
      for (TokenWeights w : values()) {
        if (w.label.equals(label)) {
          return w;
        }
      }
      throw new IllegalArgumentException(
          "preference batch metadata '"
              + WEIGHTS_KEY
              + "' is "
              + label
              + "; expected none, treg or cdpo");
    }
  }

  private static final ArrowType INT32 = new ArrowType.Int(32, true);
  private static final ArrowType FLOAT32 =
      new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);

  /** The columns in storage order. Only the two weight lists may be null (per row). */
  public static final List<Field> FIELDS =
      List.of(
          RolloutSchema.scalar(PAIR_ID, INT32),
          RolloutSchema.list(PROMPT_IDS, INT32),
          RolloutSchema.list(CHOSEN_IDS, INT32),
          RolloutSchema.list(REJECTED_IDS, INT32),
          RolloutSchema.list(REF_CHOSEN_LOGPROBS, FLOAT32),
          RolloutSchema.list(REF_REJECTED_LOGPROBS, FLOAT32),
          nullableList(CHOSEN_TOKEN_WEIGHTS),
          nullableList(REJECTED_TOKEN_WEIGHTS));

  private PreferenceSchema() {}

  public static Schema schema(TokenWeights weights) {
    return new Schema(
        FIELDS,
        Map.of(KIND_KEY, KIND, WEIGHTS_KEY, weights.label(), FORMAT_VERSION_KEY, FORMAT_VERSION));
  }

  /**
   * Checks names, order and types of the columns (nullability is not compared: nulls are checked
   * when data is read) and the metadata, and returns what the weights hold.
   */
  static TokenWeights validate(Schema schema) {
    Map<String, String> meta = schema.getCustomMetadata();
    String kind = meta == null ? null : meta.get(KIND_KEY);
    if (!KIND.equals(kind)) {
      throw new IllegalArgumentException(
          "not a preference batch: schema metadata '"
              + KIND_KEY
              + "' is "
              + kind
              + ", expected "
              + KIND
              + " (columns "
              + RolloutSchema.names(schema.getFields())
              + ")");
    }
    String version = meta.get(FORMAT_VERSION_KEY);
    if (!FORMAT_VERSION.equals(version)) {
      throw new IllegalArgumentException(
          "preference batch metadata '"
              + FORMAT_VERSION_KEY
              + "' is "
              + version
              + ", this build reads version "
              + FORMAT_VERSION);
    }
    List<Field> fields = schema.getFields();
    if (fields.size() != FIELDS.size()) {
      throw new IllegalArgumentException(
          "not a preference batch: expected columns "
              + RolloutSchema.names(FIELDS)
              + " but found "
              + RolloutSchema.names(fields));
    }
    for (int i = 0; i < FIELDS.size(); i++) {
      Field want = FIELDS.get(i);
      Field got = fields.get(i);
      if (!want.getName().equals(got.getName()) || !RolloutSchema.sameType(want, got)) {
        throw new IllegalArgumentException(
            "not a preference batch: column "
                + i
                + " must be "
                + RolloutSchema.describe(want)
                + " but is "
                + RolloutSchema.describe(got));
      }
    }
    return TokenWeights.fromLabel(meta.get(WEIGHTS_KEY));
  }

  private static Field nullableList(String name) {
    return new Field(
        name,
        FieldType.nullable(ArrowType.List.INSTANCE),
        List.of(new Field("item", FieldType.notNullable(FLOAT32), null)));
  }
}
