package org.tokenrl.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One RL step's rollouts as a run saves them ({@code rollouts/step-NNNNNN.arrow}, an Arrow IPC file
 * pyarrow reads with {@code pa.ipc.open_file}): the in-memory {@link RolloutBatch}'s columns first,
 * with the same names and types ({@link RolloutSchema#FIELDS}; {@code logprobs} is the sampler's
 * logp_old; {@code loss_mask} is true on the policy's tokens and false on those an environment, a
 * tool or the chat template inserted in a multi-turn rollout, all true for single-turn rows), then
 * what the trainer made of each row:
 *
 * <ul>
 *   <li>{@code prompt_text}, {@code response_text}: the decoded prompt (the chat template's, when
 *       one is used) and response
 *   <li>{@code correct}: the task verifier's verdict (train/accuracy)
 *   <li>{@code reward_<component>}: each reward component's unweighted score (NaN when the rollout
 *       actors scored and sent only means); {@code reward} is the weighted total
 *   <li>{@code advantages}: the algorithm's per-token credit, one value per response token
 *   <li>{@code in_loss}: per token, whether it entered the loss (a policy token the algorithm kept:
 *       D³S token selection, mask_truncated)
 *   <li>{@code in_update}: whether the row's group entered the update (dynamic_sampling = drop
 *       leaves zero-spread groups out); {@code kept}: in the update with at least one loss token
 * </ul>
 *
 * <p>Schema metadata: {@code group_size} and {@code format_version} as in the batch, plus {@code
 * step} (global), {@code phase_step}, {@code algorithm}, {@code reward_components}
 * (comma-separated) and {@code rows} ({@code sampled}, or {@code credit batch} under refill, where
 * only the kept groups have credit).
 *
 * <p>Files written before {@code in_loss} existed have one {@code loss_mask} column after {@code
 * advantages}, meaning what {@code in_loss} means now; they read with an all-true policy mask.
 */
public record StepRollouts(int groupSize, Map<String, String> metadata, List<Row> rows) {
  public static final String PROMPT_TEXT = "prompt_text";
  public static final String RESPONSE_TEXT = "response_text";
  public static final String CORRECT = "correct";
  public static final String ADVANTAGES = "advantages";

  /** The policy mask ({@link RolloutSchema#LOSS_MASK}): false on an environment's tokens. */
  public static final String LOSS_MASK = RolloutSchema.LOSS_MASK;

  public static final String IN_LOSS = "in_loss";
  public static final String IN_UPDATE = "in_update";
  public static final String KEPT = "kept";
  public static final String COMPONENT_PREFIX = "reward_";
  public static final String COMPONENTS_KEY = "reward_components";

  /**
   * One saved row: the batch's columns (with the policy mask, {@link Rollout#lossMask()}), then the
   * trainer's.
   *
   * @param inLoss per token, whether it entered the loss
   */
  public record Row(
      Rollout rollout,
      String promptText,
      String responseText,
      boolean correct,
      double[] componentScores,
      float[] advantages,
      boolean[] inLoss,
      boolean inUpdate) {
    /** In the update with at least one token in the loss. */
    public boolean kept() {
      if (!inUpdate) {
        return false;
      }
      for (boolean m : inLoss) {
        if (m) {
          return true;
        }
      }
      return false;
    }
  }

  public StepRollouts {
    metadata = new LinkedHashMap<>(metadata);
    rows = List.copyOf(rows);
  }

  /** The reward components' names, in column order. */
  public List<String> components() {
    String names = metadata.getOrDefault(COMPONENTS_KEY, "");
    return names.isEmpty() ? List.of() : List.of(names.split(","));
  }

  private static final ArrowType UTF8 = ArrowType.Utf8.INSTANCE;
  private static final ArrowType BOOL = ArrowType.Bool.INSTANCE;
  private static final ArrowType FLOAT32 =
      new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
  private static final ArrowType FLOAT64 =
      new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

  Schema schema() {
    List<Field> fields = new ArrayList<>(RolloutSchema.FIELDS);
    fields.add(RolloutSchema.scalar(PROMPT_TEXT, UTF8));
    fields.add(RolloutSchema.scalar(RESPONSE_TEXT, UTF8));
    fields.add(RolloutSchema.scalar(CORRECT, BOOL));
    for (String c : components()) {
      fields.add(RolloutSchema.scalar(COMPONENT_PREFIX + c, FLOAT64));
    }
    fields.add(RolloutSchema.list(ADVANTAGES, FLOAT32));
    fields.add(RolloutSchema.list(IN_LOSS, BOOL));
    fields.add(RolloutSchema.scalar(IN_UPDATE, BOOL));
    fields.add(RolloutSchema.scalar(KEPT, BOOL));
    Map<String, String> meta = new LinkedHashMap<>(metadata);
    meta.put(RolloutSchema.GROUP_SIZE_KEY, Integer.toString(groupSize));
    meta.put(RolloutSchema.FORMAT_VERSION_KEY, RolloutSchema.FORMAT_VERSION);
    return new Schema(fields, meta);
  }

  /** Writes the file atomically: a reader sees the previous file or this one, never a part. */
  public void write(Path path) {
    try (BufferAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema(), allocator)) {
      fill(root);
      DurableFiles.replace(
          path,
          channel -> {
            try (ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
              writer.start();
              writer.writeBatch();
              writer.end();
              channel.force(true); // the writer closes the channel
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write rollouts " + path, e);
    }
  }

  private void fill(VectorSchemaRoot root) {
    int n = rows.size();
    ListColumns.writeInts(list(root, RolloutSchema.PROMPT_IDS), n, i -> r(i).promptIds());
    ListColumns.writeInts(list(root, RolloutSchema.RESPONSE_IDS), n, i -> r(i).responseIds());
    ListColumns.writeFloats(list(root, RolloutSchema.LOGPROBS), n, i -> r(i).logprobs());
    ListColumns.writeFloats(list(root, RolloutSchema.ENTROPIES), n, i -> r(i).entropies());
    ListColumns.writeFloats(list(root, ADVANTAGES), n, i -> rows.get(i).advantages());
    ListColumns.writeBools(list(root, LOSS_MASK), n, i -> r(i).lossMask());
    ListColumns.writeBools(list(root, IN_LOSS), n, i -> rows.get(i).inLoss());
    IntVector example = (IntVector) root.getVector(RolloutSchema.EXAMPLE_ID);
    IntVector group = (IntVector) root.getVector(RolloutSchema.GROUP);
    BitVector truncated = (BitVector) root.getVector(RolloutSchema.TRUNCATED);
    Float8Vector reward = (Float8Vector) root.getVector(RolloutSchema.REWARD);
    BitVector correct = (BitVector) root.getVector(CORRECT);
    BitVector inUpdate = (BitVector) root.getVector(IN_UPDATE);
    BitVector kept = (BitVector) root.getVector(KEPT);
    VarCharVector reference = (VarCharVector) root.getVector(RolloutSchema.REFERENCE);
    VarCharVector prompt = (VarCharVector) root.getVector(PROMPT_TEXT);
    VarCharVector response = (VarCharVector) root.getVector(RESPONSE_TEXT);
    List<String> components = components();
    List<Float8Vector> componentVectors = new ArrayList<>();
    for (String c : components) {
      componentVectors.add((Float8Vector) root.getVector(COMPONENT_PREFIX + c));
    }
    for (FieldVector v : List.of(example, group, truncated, reward, correct, inUpdate, kept)) {
      v.setInitialCapacity(n);
      v.allocateNew();
    }
    componentVectors.forEach(v -> v.allocateNew(n));
    for (VarCharVector v : List.of(reference, prompt, response)) {
      v.allocateNew(n);
    }
    for (int i = 0; i < n; i++) {
      Row row = rows.get(i);
      Rollout ro = row.rollout();
      example.set(i, ro.exampleId());
      group.set(i, ro.group());
      truncated.set(i, ro.truncated() ? 1 : 0);
      reward.set(i, ro.reward());
      correct.set(i, row.correct() ? 1 : 0);
      inUpdate.set(i, row.inUpdate() ? 1 : 0);
      kept.set(i, row.kept() ? 1 : 0);
      reference.setSafe(i, ro.reference().getBytes(StandardCharsets.UTF_8));
      prompt.setSafe(i, row.promptText().getBytes(StandardCharsets.UTF_8));
      response.setSafe(i, row.responseText().getBytes(StandardCharsets.UTF_8));
      for (int c = 0; c < components.size(); c++) {
        double[] scores = row.componentScores();
        componentVectors.get(c).set(i, scores == null ? Double.NaN : scores[c]);
      }
    }
    root.setRowCount(n);
  }

  private Rollout r(int i) {
    return rows.get(i).rollout();
  }

  private static ListVector list(VectorSchemaRoot root, String name) {
    return (ListVector) root.getVector(name);
  }

  /** Reads a file {@link #write} wrote. */
  public static StepRollouts read(Path path) {
    try (BufferAllocator allocator = new RootAllocator();
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      Schema schema = root.getSchema();
      Map<String, String> meta = new LinkedHashMap<>(schema.getCustomMetadata());
      int groupSize = Integer.parseInt(meta.getOrDefault(RolloutSchema.GROUP_SIZE_KEY, "1"));
      String names = meta.getOrDefault(COMPONENTS_KEY, "");
      List<String> components = names.isEmpty() ? List.of() : List.of(names.split(","));
      List<Row> rows = new ArrayList<>();
      while (reader.loadNextBatch()) {
        for (int i = 0; i < root.getRowCount(); i++) {
          rows.add(readRow(root, i, components));
        }
      }
      return new StepRollouts(groupSize, meta, rows);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          path + " is not a tokenrl rollouts file (" + e.getMessage() + ")", e);
    }
  }

  private static Row readRow(VectorSchemaRoot root, int i, List<String> components) {
    // Before in_loss, the one loss_mask column was the in-the-loss flag; the policy's were all.
    boolean current =
        root.getSchema().getFields().stream().anyMatch(f -> f.getName().equals(IN_LOSS));
    ListVector inLoss = list(root, current ? IN_LOSS : LOSS_MASK);
    Rollout ro =
        new Rollout(
            ((IntVector) root.getVector(RolloutSchema.EXAMPLE_ID)).get(i),
            ((IntVector) root.getVector(RolloutSchema.GROUP)).get(i),
            ListColumns.ints(list(root, RolloutSchema.PROMPT_IDS), i),
            ListColumns.ints(list(root, RolloutSchema.RESPONSE_IDS), i),
            ListColumns.floats(list(root, RolloutSchema.LOGPROBS), i),
            ListColumns.floats(list(root, RolloutSchema.ENTROPIES), i),
            ((BitVector) root.getVector(RolloutSchema.TRUNCATED)).get(i) == 1,
            text(root, RolloutSchema.REFERENCE, i),
            ((Float8Vector) root.getVector(RolloutSchema.REWARD)).get(i),
            current ? ListColumns.bools(list(root, LOSS_MASK), i) : null);
    double[] scores = new double[components.size()];
    for (int c = 0; c < scores.length; c++) {
      scores[c] = ((Float8Vector) root.getVector(COMPONENT_PREFIX + components.get(c))).get(i);
    }
    return new Row(
        ro,
        text(root, PROMPT_TEXT, i),
        text(root, RESPONSE_TEXT, i),
        ((BitVector) root.getVector(CORRECT)).get(i) == 1,
        scores,
        ListColumns.floats(list(root, ADVANTAGES), i),
        ListColumns.bools(inLoss, i),
        ((BitVector) root.getVector(IN_UPDATE)).get(i) == 1);
  }

  private static String text(VectorSchemaRoot root, String name, int i) {
    return new String(((VarCharVector) root.getVector(name)).get(i), StandardCharsets.UTF_8);
  }
}
