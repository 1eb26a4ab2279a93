package org.tokenrl.core;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.util.VectorBatchAppender;

/**
 * A batch of rollouts held in Arrow vectors (columns in {@link RolloutSchema}). It is what the
 * rollout, reward and algorithm stages pass along, and what crosses process boundaries as Arrow IPC
 * bytes.
 *
 * <p>Rows are group-major: rows {@code [g * groupSize, (g + 1) * groupSize)} are the samples of
 * group {@code g}, and share one {@code group} value. No value is null.
 *
 * <p>Lifecycle: a batch owns its buffers, allocated from the allocator passed to the factory; use
 * it in try-with-resources and {@link #close()} it before closing the allocator. Accessors copy
 * values out into fresh Java arrays, so results stay valid after close. The bulk accessors ({@link
 * #allResponseIds()}, {@link #rewards()}, ...) read each column in one pass and are the ones to use
 * in loops over the whole batch.
 *
 * <p>Length: one accessor pair per column of {@link RolloutSchema}; the class is long because the
 * schema is wide, not because it does several things.
 */
public final class RolloutBatch implements AutoCloseable {
  private final VectorSchemaRoot root;
  private final int groupSize;
  private final ListVector promptIds;
  private final ListVector responseIds;
  private final ListVector logprobs;
  private final ListVector entropies;
  private final IntVector exampleIds;
  private final IntVector groups;
  private final BitVector truncated;
  private final VarCharVector references;
  private final Float8Vector rewards;
  private final ListVector lossMask;

  /** Takes ownership of {@code root}, which must already have been checked by {@link #adopt}. */
  private RolloutBatch(VectorSchemaRoot root, int groupSize) {
    this.root = root;
    this.groupSize = groupSize;
    this.promptIds = (ListVector) root.getVector(RolloutSchema.PROMPT_IDS);
    this.responseIds = (ListVector) root.getVector(RolloutSchema.RESPONSE_IDS);
    this.logprobs = (ListVector) root.getVector(RolloutSchema.LOGPROBS);
    this.entropies = (ListVector) root.getVector(RolloutSchema.ENTROPIES);
    this.exampleIds = (IntVector) root.getVector(RolloutSchema.EXAMPLE_ID);
    this.groups = (IntVector) root.getVector(RolloutSchema.GROUP);
    this.truncated = (BitVector) root.getVector(RolloutSchema.TRUNCATED);
    this.references = (VarCharVector) root.getVector(RolloutSchema.REFERENCE);
    this.rewards = (Float8Vector) root.getVector(RolloutSchema.REWARD);
    this.lossMask = (ListVector) root.getVector(RolloutSchema.LOSS_MASK);
  }

  // ---------------------------------------------------------------- construction

  /**
   * Builds a batch from rows in group-major order. {@code rows.size()} must be a multiple of {@code
   * groupSize} and each run of {@code groupSize} rows must share its {@code group}.
   */
  public static RolloutBatch of(BufferAllocator allocator, int groupSize, List<Rollout> rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(RolloutSchema.schema(groupSize), allocator);
    try {
      int n = rows.size();
      ListColumns.writeInts(
          vector(root, RolloutSchema.PROMPT_IDS), n, i -> rows.get(i).promptIds());
      ListColumns.writeInts(
          vector(root, RolloutSchema.RESPONSE_IDS), n, i -> rows.get(i).responseIds());
      ListColumns.writeFloats(vector(root, RolloutSchema.LOGPROBS), n, i -> rows.get(i).logprobs());
      ListColumns.writeFloats(
          vector(root, RolloutSchema.ENTROPIES), n, i -> rows.get(i).entropies());
      ListColumns.writeBools(vector(root, RolloutSchema.LOSS_MASK), n, i -> rows.get(i).lossMask());
      IntVector exampleIds = vector(root, RolloutSchema.EXAMPLE_ID);
      IntVector groups = vector(root, RolloutSchema.GROUP);
      BitVector truncated = vector(root, RolloutSchema.TRUNCATED);
      Float8Vector rewards = vector(root, RolloutSchema.REWARD);
      exampleIds.allocateNew(n);
      groups.allocateNew(n);
      truncated.allocateNew(n);
      rewards.allocateNew(n);
      byte[][] references = new byte[n][];
      long referenceBytes = 0;
      for (int i = 0; i < n; i++) {
        Rollout r = rows.get(i);
        exampleIds.set(i, r.exampleId());
        groups.set(i, r.group());
        truncated.set(i, r.truncated() ? 1 : 0);
        rewards.set(i, r.reward());
        references[i] = r.reference().getBytes(StandardCharsets.UTF_8);
        referenceBytes += references[i].length;
      }
      VarCharVector referenceVector = vector(root, RolloutSchema.REFERENCE);
      referenceVector.allocateNew(referenceBytes, n);
      for (int i = 0; i < n; i++) {
        referenceVector.set(i, references[i]);
      }
      root.setRowCount(n);
      return adopt(root, groupSize);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /**
   * Concatenates batches in order into a new batch; the parts stay open and unchanged. All parts
   * must have the same group size.
   */
  public static RolloutBatch concat(BufferAllocator allocator, List<RolloutBatch> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException(
          "concat needs at least one batch (the group size comes from the parts)");
    }
    int groupSize = parts.get(0).groupSize;
    for (RolloutBatch part : parts) {
      if (part.groupSize != groupSize) {
        throw new IllegalArgumentException(
            "cannot concat batches with group sizes " + groupSize + " and " + part.groupSize);
      }
    }
    return adopt(
        concatRoots(allocator, groupSize, parts.stream().map(RolloutBatch::root).toList()),
        groupSize);
  }

  /** Reads a batch from Arrow IPC stream bytes (as written by {@link #toIpcBytes()}). */
  public static RolloutBatch fromIpcBytes(BufferAllocator allocator, byte[] bytes) {
    try (ArrowStreamReader reader =
        new ArrowStreamReader(new ByteArrayInputStream(bytes), allocator)) {
      return readAll(allocator, reader);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read rollout batch from Arrow IPC stream bytes", e);
    }
  }

  /**
   * Reads an Arrow IPC file (as written by {@link #writeFile} or {@code pyarrow.ipc.new_file});
   * several record batches in the file are concatenated.
   */
  public static RolloutBatch readFile(BufferAllocator allocator, Path path) {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
      return readAll(allocator, reader);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read rollout batch file " + path, e);
    }
  }

  // ---------------------------------------------------------------- serialization

  /** This batch as an Arrow IPC stream (schema message, one record batch, end marker). */
  public byte[] toIpcBytes() {
    ByteArrayChannel out = new ByteArrayChannel(estimatedBytes());
    try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
      writer.start();
      writer.writeBatch();
      writer.end();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write rollout batch as Arrow IPC stream", e);
    }
    return out.toByteArray();
  }

  /**
   * Collects written bytes in one growing array. Channels.newChannel over a ByteArrayOutputStream
   * would copy every buffer twice more (through an 8 KiB staging array).
   */
  private static final class ByteArrayChannel implements WritableByteChannel {
    private byte[] bytes;
    private int size;

    ByteArrayChannel(int capacity) {
      bytes = new byte[capacity];
    }

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      if (size + n > bytes.length) {
        bytes =
            Arrays.copyOf(
                bytes,
                Math.max(size + n, (int) Math.min(2L * bytes.length, Integer.MAX_VALUE - 16)));
      }
      src.get(bytes, size, n);
      size += n;
      return n;
    }

    byte[] toByteArray() {
      return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  /** Writes this batch as an Arrow IPC file ({@code .arrow}), replacing any existing file. */
  public void writeFile(Path path) {
    try (FileChannel channel =
            FileChannel.open(
                path,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
      writer.start();
      writer.writeBatch();
      writer.end();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write rollout batch file " + path, e);
    }
  }

  // ---------------------------------------------------------------- shape

  public int size() {
    return root.getRowCount();
  }

  public int groupSize() {
    return groupSize;
  }

  public int numGroups() {
    return size() / groupSize;
  }

  /** Sum of response lengths over all rows. */
  public long totalResponseTokens() {
    int n = size();
    return n == 0 ? 0 : responseIds.getElementEndIndex(n - 1) - responseIds.getElementStartIndex(0);
  }

  /**
   * The underlying vectors, for Arrow-level tools. The batch still owns them: do not close or
   * resize them.
   */
  public VectorSchemaRoot root() {
    return root;
  }

  // ---------------------------------------------------------------- per-row access

  public int[] promptIds(int row) {
    return ListColumns.ints(promptIds, checkRow(row));
  }

  public int[] responseIds(int row) {
    return ListColumns.ints(responseIds, checkRow(row));
  }

  public float[] logprobs(int row) {
    return ListColumns.floats(logprobs, checkRow(row));
  }

  public float[] entropies(int row) {
    return ListColumns.floats(entropies, checkRow(row));
  }

  public int responseLength(int row) {
    checkRow(row);
    return responseIds.getElementEndIndex(row) - responseIds.getElementStartIndex(row);
  }

  public int exampleId(int row) {
    return exampleIds.get(checkRow(row));
  }

  public int group(int row) {
    return groups.get(checkRow(row));
  }

  public boolean truncated(int row) {
    return truncated.get(checkRow(row)) != 0;
  }

  public String reference(int row) {
    return new String(references.get(checkRow(row)), StandardCharsets.UTF_8);
  }

  public double reward(int row) {
    return rewards.get(checkRow(row));
  }

  /** True where the policy wrote the token ({@link RolloutSchema#LOSS_MASK}). */
  public boolean[] lossMask(int row) {
    return ListColumns.bools(lossMask, checkRow(row));
  }

  public boolean[][] allLossMasks() {
    boolean[][] out = new boolean[size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = ListColumns.bools(lossMask, i);
    }
    return out;
  }

  /** Whether any token of the batch is outside the loss mask (a multi-turn batch). */
  public boolean hasMaskedTokens() {
    for (int i = 0; i < size(); i++) {
      for (boolean b : lossMask(i)) {
        if (!b) {
          return true;
        }
      }
    }
    return false;
  }

  public Rollout row(int i) {
    checkRow(i);
    return new Rollout(
        exampleId(i),
        group(i),
        promptIds(i),
        responseIds(i),
        logprobs(i),
        entropies(i),
        truncated(i),
        reference(i),
        reward(i),
        lossMask(i));
  }

  public List<Rollout> rows() {
    int n = size();
    int[][] prompts = allPromptIds();
    int[][] responses = allResponseIds();
    float[][] lps = allLogprobs();
    float[][] ents = allEntropies();
    String[] refs = references();
    double[] rs = rewards();
    boolean[][] masks = allLossMasks();
    List<Rollout> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(
          new Rollout(
              exampleIds.get(i),
              groups.get(i),
              prompts[i],
              responses[i],
              lps[i],
              ents[i],
              truncated.get(i) != 0,
              refs[i],
              rs[i],
              masks[i]));
    }
    return out;
  }

  // ---------------------------------------------------------------- bulk access

  public int[][] allPromptIds() {
    return allInts(promptIds);
  }

  public int[][] allResponseIds() {
    return allInts(responseIds);
  }

  public float[][] allLogprobs() {
    return allFloats(logprobs);
  }

  public float[][] allEntropies() {
    return allFloats(entropies);
  }

  public int[] responseLengths() {
    int[] out = new int[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = responseIds.getElementEndIndex(i) - responseIds.getElementStartIndex(i);
    }
    return out;
  }

  public int[] exampleIds() {
    return column(exampleIds);
  }

  public int[] groups() {
    return column(groups);
  }

  public boolean[] truncatedFlags() {
    boolean[] out = new boolean[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = truncated.get(i) != 0;
    }
    return out;
  }

  public String[] references() {
    String[] out = new String[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = new String(references.get(i), StandardCharsets.UTF_8);
    }
    return out;
  }

  public double[] rewards() {
    double[] out = new double[size()];
    ListColumns.view(rewards.getDataBuffer(), 0, (long) out.length * Double.BYTES)
        .asDoubleBuffer()
        .get(out);
    return out;
  }

  /** Overwrites the reward column in place; {@code values} needs one entry per row. */
  public void setRewards(double[] values) {
    if (values.length != size()) {
      throw new IllegalArgumentException(
          "setRewards needs one reward per row: batch has "
              + size()
              + " rows, got "
              + values.length);
    }
    ListColumns.view(rewards.getDataBuffer(), 0, (long) values.length * Double.BYTES)
        .asDoubleBuffer()
        .put(values);
  }

  @Override
  public void close() {
    root.close();
  }

  @Override
  public String toString() {
    return "RolloutBatch[rows=" + size() + ", groupSize=" + groupSize + "]";
  }

  // ---------------------------------------------------------------- internals

  private int checkRow(int row) {
    if (row < 0 || row >= size()) {
      throw new IndexOutOfBoundsException("row " + row + " of a batch with " + size() + " rows");
    }
    return row;
  }

  /** Upper bound of the IPC stream size: buffers, 8-byte padding each, schema and headers. */
  private int estimatedBytes() {
    long bytes = 8192;
    for (FieldVector v : root.getFieldVectors()) {
      bytes += v.getBufferSize() + 64;
    }
    return (int) Math.min(bytes, Integer.MAX_VALUE - 16);
  }

  @SuppressWarnings("unchecked")
  private static <V extends FieldVector> V vector(VectorSchemaRoot root, String name) {
    return (V) root.getVector(name);
  }

  /**
   * Wraps {@code root} as a batch after checking the invariants every consumer relies on: whole
   * groups, no nulls, one logprob and entropy per response token, one group value per group. Closes
   * {@code root} if a check fails.
   */
  private static RolloutBatch adopt(VectorSchemaRoot root, int groupSize) {
    try {
      checkLayout(root, groupSize);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
    return new RolloutBatch(root, groupSize);
  }

  private static void checkLayout(VectorSchemaRoot root, int groupSize) {
    int n = root.getRowCount();
    if (n % groupSize != 0) {
      throw new IllegalArgumentException(
          "a rollout batch holds whole groups: "
              + n
              + " rows is not a multiple of group size "
              + groupSize);
    }
    for (FieldVector v : root.getFieldVectors()) {
      if (v.getNullCount() != 0
          || (v instanceof ListVector list && list.getDataVector().getNullCount() != 0)) {
        throw new IllegalArgumentException(
            "rollout batch column '" + v.getName() + "' has nulls; every value must be set");
      }
    }
    ListVector responses = vector(root, RolloutSchema.RESPONSE_IDS);
    ListVector logprobs = vector(root, RolloutSchema.LOGPROBS);
    ListVector entropies = vector(root, RolloutSchema.ENTROPIES);
    for (int i = 0; i < n; i++) {
      int len = responses.getElementEndIndex(i) - responses.getElementStartIndex(i);
      int lpLen = logprobs.getElementEndIndex(i) - logprobs.getElementStartIndex(i);
      int entLen = entropies.getElementEndIndex(i) - entropies.getElementStartIndex(i);
      ListVector mask = vector(root, RolloutSchema.LOSS_MASK);
      int maskLen = mask.getElementEndIndex(i) - mask.getElementStartIndex(i);
      if (maskLen != len) {
        throw new IllegalArgumentException(
            "row " + i + " has " + len + " response tokens but " + maskLen + " loss mask entries");
      }
      if (lpLen != len || entLen != len) {
        throw new IllegalArgumentException(
            "row "
                + i
                + " has "
                + len
                + " response tokens but "
                + lpLen
                + " logprobs and "
                + entLen
                + " entropies");
      }
    }
    IntVector groups = vector(root, RolloutSchema.GROUP);
    for (int i = 0; i < n; i++) {
      int first = i - i % groupSize;
      if (groups.get(i) != groups.get(first)) {
        throw new IllegalArgumentException(
            "rows must be group-major with "
                + groupSize
                + " rows per group, but row "
                + i
                + " has group "
                + groups.get(i)
                + " while row "
                + first
                + " has group "
                + groups.get(first));
      }
    }
  }

  /** Reads every record batch of {@code reader} into one batch owned by {@code allocator}. */
  private static RolloutBatch readAll(BufferAllocator allocator, ArrowReader reader)
      throws IOException {
    int groupSize = RolloutSchema.validate(reader.getVectorSchemaRoot().getSchema());
    // Record batches may split a group (pyarrow chunks tables freely), so the layout is checked
    // once, on the whole.
    List<VectorSchemaRoot> parts = new ArrayList<>();
    try {
      while (reader.loadNextBatch()) {
        parts.add(takeOver(allocator, reader.getVectorSchemaRoot(), groupSize));
      }
      if (parts.size() == 1) {
        return adopt(parts.remove(0), groupSize);
      }
      return adopt(concatRoots(allocator, groupSize, parts), groupSize);
    } finally {
      parts.forEach(VectorSchemaRoot::close);
    }
  }

  /** Moves the buffers of the reader's reusable root into a root with our canonical schema. */
  private static VectorSchemaRoot takeOver(
      BufferAllocator allocator, VectorSchemaRoot source, int groupSize) {
    VectorSchemaRoot target = VectorSchemaRoot.create(RolloutSchema.schema(groupSize), allocator);
    for (int i = 0; i < source.getFieldVectors().size(); i++) {
      source.getVector(i).makeTransferPair(target.getVector(i)).transfer();
    }
    int n = source.getRowCount();
    if (source.getVector(RolloutSchema.LOSS_MASK) == null) {
      // format version 1: no multi-turn rows, so every token is the policy's
      ListVector responses = (ListVector) target.getVector(RolloutSchema.RESPONSE_IDS);
      ListColumns.writeBools(
          (ListVector) target.getVector(RolloutSchema.LOSS_MASK),
          n,
          i -> {
            boolean[] all =
                new boolean[responses.getElementEndIndex(i) - responses.getElementStartIndex(i)];
            Arrays.fill(all, true);
            return all;
          });
    }
    target.setRowCount(n);
    return target;
  }

  private static VectorSchemaRoot concatRoots(
      BufferAllocator allocator, int groupSize, List<VectorSchemaRoot> parts) {
    VectorSchemaRoot out = VectorSchemaRoot.create(RolloutSchema.schema(groupSize), allocator);
    try {
      int rows = 0;
      for (VectorSchemaRoot part : parts) {
        rows += part.getRowCount();
      }
      for (int c = 0; c < RolloutSchema.FIELDS.size(); c++) {
        FieldVector target = out.getVector(c);
        target.allocateNew();
        FieldVector[] sources = new FieldVector[parts.size()];
        for (int p = 0; p < sources.length; p++) {
          sources[p] = parts.get(p).getVector(c);
        }
        VectorBatchAppender.batchAppend(target, sources);
      }
      out.setRowCount(rows);
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** Elements of {@code list} from row 0's start to the last row's end, as an int view. */
  private IntBuffer intElements(ListVector list) {
    int n = size();
    long end = n == 0 ? 0 : list.getElementEndIndex(n - 1);
    return ListColumns.view(list.getDataVector().getDataBuffer(), 0, end * Integer.BYTES)
        .asIntBuffer();
  }

  private FloatBuffer floatElements(ListVector list) {
    int n = size();
    long end = n == 0 ? 0 : list.getElementEndIndex(n - 1);
    return ListColumns.view(list.getDataVector().getDataBuffer(), 0, end * Float.BYTES)
        .asFloatBuffer();
  }

  private int[][] allInts(ListVector list) {
    IntBuffer data = intElements(list);
    int[][] out = new int[size()][];
    for (int i = 0; i < out.length; i++) {
      int start = list.getElementStartIndex(i);
      out[i] = new int[list.getElementEndIndex(i) - start];
      data.get(start, out[i]);
    }
    return out;
  }

  private float[][] allFloats(ListVector list) {
    FloatBuffer data = floatElements(list);
    float[][] out = new float[size()][];
    for (int i = 0; i < out.length; i++) {
      int start = list.getElementStartIndex(i);
      out[i] = new float[list.getElementEndIndex(i) - start];
      data.get(start, out[i]);
    }
    return out;
  }

  private int[] column(IntVector vector) {
    int[] out = new int[size()];
    ListColumns.view(vector.getDataBuffer(), 0, (long) out.length * Integer.BYTES)
        .asIntBuffer()
        .get(out);
    return out;
  }
}
