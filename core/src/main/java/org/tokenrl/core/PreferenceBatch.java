package org.tokenrl.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.tokenrl.core.PreferenceSchema.TokenWeights;

/**
 * Preference pairs with their cached reference log-probs (and optional token weights) in Arrow
 * vectors, columns in {@link PreferenceSchema}. The reference model scores a pair set once; the
 * batch is saved as an Arrow IPC file ({@code .arrow}) next to the run and read back by DPO, T-REG
 * and cDPO, or by pyarrow for inspection.
 *
 * <p>Lifecycle as {@link RolloutBatch}: the batch owns buffers from the allocator passed in; use
 * try-with-resources and close it before the allocator. Accessors copy values into fresh Java
 * arrays, valid after close.
 */
public final class PreferenceBatch implements AutoCloseable {
  private final VectorSchemaRoot root;
  private final TokenWeights tokenWeights;
  private final IntVector pairIds;
  private final ListVector promptIds;
  private final ListVector chosenIds;
  private final ListVector rejectedIds;
  private final ListVector refChosen;
  private final ListVector refRejected;
  private final ListVector chosenWeights;
  private final ListVector rejectedWeights;

  private PreferenceBatch(VectorSchemaRoot root, TokenWeights tokenWeights) {
    this.root = root;
    this.tokenWeights = tokenWeights;
    this.pairIds = (IntVector) root.getVector(PreferenceSchema.PAIR_ID);
    this.promptIds = (ListVector) root.getVector(PreferenceSchema.PROMPT_IDS);
    this.chosenIds = (ListVector) root.getVector(PreferenceSchema.CHOSEN_IDS);
    this.rejectedIds = (ListVector) root.getVector(PreferenceSchema.REJECTED_IDS);
    this.refChosen = (ListVector) root.getVector(PreferenceSchema.REF_CHOSEN_LOGPROBS);
    this.refRejected = (ListVector) root.getVector(PreferenceSchema.REF_REJECTED_LOGPROBS);
    this.chosenWeights = (ListVector) root.getVector(PreferenceSchema.CHOSEN_TOKEN_WEIGHTS);
    this.rejectedWeights = (ListVector) root.getVector(PreferenceSchema.REJECTED_TOKEN_WEIGHTS);
  }

  // ---------------------------------------------------------------- construction

  /**
   * Builds a batch from pairs (already validated by {@link PreferencePair}'s constructor).
   *
   * @param tokenWeights what the pairs' token weights are; with {@link TokenWeights#NONE} no pair
   *     may carry weights
   */
  public static PreferenceBatch of(
      BufferAllocator allocator, TokenWeights tokenWeights, List<PreferencePair> pairs) {
    if (tokenWeights == TokenWeights.NONE) {
      for (PreferencePair p : pairs) {
        if (p.hasTokenWeights()) {
          throw new IllegalArgumentException(
              "preference pair "
                  + p.pairId()
                  + " has token weights but the batch is declared"
                  + " TokenWeights.NONE; pass TREG or CDPO");
        }
      }
    }
    VectorSchemaRoot root =
        VectorSchemaRoot.create(PreferenceSchema.schema(tokenWeights), allocator);
    try {
      int n = pairs.size();
      IntVector ids = (IntVector) root.getVector(PreferenceSchema.PAIR_ID);
      ids.allocateNew(n);
      for (int i = 0; i < n; i++) {
        ids.set(i, pairs.get(i).pairId());
      }
      ListColumns.writeInts(
          list(root, PreferenceSchema.PROMPT_IDS), n, i -> pairs.get(i).promptIds());
      ListColumns.writeInts(
          list(root, PreferenceSchema.CHOSEN_IDS), n, i -> pairs.get(i).chosenIds());
      ListColumns.writeInts(
          list(root, PreferenceSchema.REJECTED_IDS), n, i -> pairs.get(i).rejectedIds());
      ListColumns.writeFloats(
          list(root, PreferenceSchema.REF_CHOSEN_LOGPROBS),
          n,
          i -> pairs.get(i).refChosenLogprobs());
      ListColumns.writeFloats(
          list(root, PreferenceSchema.REF_REJECTED_LOGPROBS),
          n,
          i -> pairs.get(i).refRejectedLogprobs());
      ListColumns.writeFloats(
          list(root, PreferenceSchema.CHOSEN_TOKEN_WEIGHTS),
          n,
          i -> pairs.get(i).chosenTokenWeights());
      ListColumns.writeFloats(
          list(root, PreferenceSchema.REJECTED_TOKEN_WEIGHTS),
          n,
          i -> pairs.get(i).rejectedTokenWeights());
      root.setRowCount(n);
      return new PreferenceBatch(root, tokenWeights);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /** Reads a batch from Arrow IPC stream bytes (as written by {@link #toIpcBytes()}). */
  public static PreferenceBatch fromIpcBytes(BufferAllocator allocator, byte[] bytes) {
    try (ArrowStreamReader reader =
        new ArrowStreamReader(new ByteArrayInputStream(bytes), allocator)) {
      return readAll(allocator, reader);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read preference batch from Arrow IPC bytes", e);
    }
  }

  /**
   * Reads an Arrow IPC file (as written by {@link #writeFile} or pyarrow with this schema); several
   * record batches are concatenated.
   */
  public static PreferenceBatch readFile(BufferAllocator allocator, Path path) {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
      return readAll(allocator, reader);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read preference batch file " + path, e);
    }
  }

  // ---------------------------------------------------------------- serialization

  /** This batch as an Arrow IPC stream (schema, one record batch, end marker). */
  public byte[] toIpcBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
      writeOneBatch(writer);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write preference batch as Arrow IPC stream", e);
    }
    return out.toByteArray();
  }

  /**
   * Writes this batch as an Arrow IPC file ({@code .arrow}), atomically ({@link DurableFiles}): a
   * reader, a crash or a power loss never sees half a cache.
   */
  public void writeFile(Path path) {
    try {
      DurableFiles.replace(
          path,
          channel -> {
            try (ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
              writeOneBatch(writer);
              channel.force(true); // before the writer closes the channel
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write preference batch file " + path, e);
    }
  }

  private static void writeOneBatch(ArrowWriter writer) throws IOException {
    writer.start();
    writer.writeBatch();
    writer.end();
  }

  // ---------------------------------------------------------------- access

  public int size() {
    return root.getRowCount();
  }

  /** What the token-weight columns hold (schema metadata {@code tokenrl.weights}). */
  public TokenWeights tokenWeights() {
    return tokenWeights;
  }

  public int pairId(int row) {
    return pairIds.get(checkRow(row));
  }

  public int[] promptIds(int row) {
    return ListColumns.ints(promptIds, checkRow(row));
  }

  public int[] chosenIds(int row) {
    return ListColumns.ints(chosenIds, checkRow(row));
  }

  public int[] rejectedIds(int row) {
    return ListColumns.ints(rejectedIds, checkRow(row));
  }

  /** Reference log-prob of each chosen response token. */
  public float[] refChosenLogprobs(int row) {
    return ListColumns.floats(refChosen, checkRow(row));
  }

  /** Reference log-prob of each rejected response token. */
  public float[] refRejectedLogprobs(int row) {
    return ListColumns.floats(refRejected, checkRow(row));
  }

  /** Token weights of the chosen response, or null when the pair has none. */
  public float[] chosenTokenWeights(int row) {
    return ListColumns.floats(chosenWeights, checkRow(row));
  }

  /** Token weights of the rejected response, or null when the pair has none. */
  public float[] rejectedTokenWeights(int row) {
    return ListColumns.floats(rejectedWeights, checkRow(row));
  }

  public PreferencePair pair(int row) {
    checkRow(row);
    return new PreferencePair(
        pairId(row),
        promptIds(row),
        chosenIds(row),
        rejectedIds(row),
        refChosenLogprobs(row),
        refRejectedLogprobs(row),
        chosenTokenWeights(row),
        rejectedTokenWeights(row));
  }

  public List<PreferencePair> pairs() {
    List<PreferencePair> out = new ArrayList<>(size());
    for (int i = 0; i < size(); i++) {
      out.add(pair(i));
    }
    return out;
  }

  /**
   * Σ_t log π_ref(chosen_t) per pair, summed in double: DPO's {@code refc} (docs/preference.md §2).
   */
  public double[] refChosenLogprobSums() {
    return sums(refChosen);
  }

  /**
   * Σ_t log π_ref(rejected_t) per pair, summed in double: DPO's {@code refr} (docs/preference.md
   * §2).
   */
  public double[] refRejectedLogprobSums() {
    return sums(refRejected);
  }

  /** {@code values} widened to double (null stays null), for losses computed in double. */
  public static double[] toDoubles(float[] values) {
    if (values == null) {
      return null;
    }
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  /** The underlying vectors, for Arrow-level tools; the batch still owns them. */
  public VectorSchemaRoot root() {
    return root;
  }

  @Override
  public void close() {
    root.close();
  }

  @Override
  public String toString() {
    return "PreferenceBatch[pairs=" + size() + ", weights=" + tokenWeights.label() + "]";
  }

  // ---------------------------------------------------------------- internals

  private int checkRow(int row) {
    if (row < 0 || row >= size()) {
      throw new IndexOutOfBoundsException("row " + row + " of a batch with " + size() + " pairs");
    }
    return row;
  }

  /**
   * Reads every record batch into pairs (validating each through {@link PreferencePair}) and
   * rebuilds one batch. A cache is read once per run, so the copy costs nothing that matters and
   * keeps one code path for all validation.
   */
  private static PreferenceBatch readAll(BufferAllocator allocator, ArrowReader reader)
      throws IOException {
    TokenWeights weights = PreferenceSchema.validate(reader.getVectorSchemaRoot().getSchema());
    List<PreferencePair> pairs = new ArrayList<>();
    while (reader.loadNextBatch()) {
      VectorSchemaRoot part = reader.getVectorSchemaRoot();
      // A view with our accessors over the reader's vectors; the reader keeps ownership.
      PreferenceBatch view = new PreferenceBatch(part, weights);
      view.checkNoNulls();
      pairs.addAll(view.pairs());
    }
    return of(allocator, weights, pairs);
  }

  /** Rejects nulls outside the weight lists, and null elements anywhere. */
  private void checkNoNulls() {
    for (FieldVector v : root.getFieldVectors()) {
      boolean nullableRows = v == chosenWeights || v == rejectedWeights;
      if ((!nullableRows && v.getNullCount() != 0)
          || (v instanceof ListVector list && list.getDataVector().getNullCount() != 0)) {
        throw new IllegalArgumentException(
            "preference batch column '"
                + v.getName()
                + "' has null values; only whole rows of"
                + " the token-weight columns may be null");
      }
    }
  }

  private static ListVector list(VectorSchemaRoot root, String name) {
    return (ListVector) root.getVector(name);
  }

  private double[] sums(ListVector list) {
    double[] out = new double[size()];
    for (int i = 0; i < out.length; i++) {
      for (float v : ListColumns.floats(list, i)) {
        out[i] += v;
      }
    }
    return out;
  }
}
