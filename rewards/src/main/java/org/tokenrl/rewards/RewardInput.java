package org.tokenrl.rewards;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A view of one rollout batch for scoring: plain arrays, nothing to close.
 *
 * <p>Rows are group-major: rows {@code [g * groupSize, (g + 1) * groupSize)} are the responses
 * sampled for prompt {@code g}, so the prompt columns repeat within a group. Every column has
 * {@link #size()} entries; a reference may be {@code null} when the task has none for that row.
 *
 * @param groupSize G, responses per prompt (at least 1; the row count is a multiple of it)
 * @param promptIds prompt token ids per row
 * @param responseIds generated token ids per row (what per-token rewards are aligned to)
 * @param promptTexts decoded prompts
 * @param responseTexts decoded responses
 * @param references the task's reference answers (entries may be null)
 * @param truncated whether a response hit {@code rollout.max_new_tokens} before it ended
 * @param verifier the task's verifier; may be null when the task has none
 * @param encoder the run's tokenizer, text to ids without special tokens: how token-id rewards
 *     (BLEU) tokenise references; null: Unicode code points (the character tokenizer's ids up to a
 *     relabelling, which leaves BLEU unchanged)
 * @param columns a dataset's extra columns ({@code task = dataset}): column name to one value per
 *     row (plain JSON values: {@code String}, {@code Number}, {@code Boolean}, {@code List}, {@code
 *     Map} or null, repeated within a group like the prompt); empty for generated tasks. A chat
 *     prompt's conversation is column {@code prompt}: a list of {@code {role, content}} maps, as
 *     the dataset had it (TRL's reward functions receive it as {@code prompts})
 */
public record RewardInput(
    int groupSize,
    int[][] promptIds,
    int[][] responseIds,
    List<String> promptTexts,
    List<String> responseTexts,
    List<String> references,
    boolean[] truncated,
    RowVerifier verifier,
    java.util.function.Function<String, int[]> encoder,
    Map<String, List<Object>> columns) {

  /** Without dataset columns. */
  public RewardInput(
      int groupSize,
      int[][] promptIds,
      int[][] responseIds,
      List<String> promptTexts,
      List<String> responseTexts,
      List<String> references,
      boolean[] truncated,
      RowVerifier verifier,
      java.util.function.Function<String, int[]> encoder) {
    this(
        groupSize,
        promptIds,
        responseIds,
        promptTexts,
        responseTexts,
        references,
        truncated,
        verifier,
        encoder,
        Map.of());
  }

  /** Without a tokenizer: token-id rewards use code points. */
  public RewardInput(
      int groupSize,
      int[][] promptIds,
      int[][] responseIds,
      List<String> promptTexts,
      List<String> responseTexts,
      List<String> references,
      boolean[] truncated,
      RowVerifier verifier) {
    this(
        groupSize,
        promptIds,
        responseIds,
        promptTexts,
        responseTexts,
        references,
        truncated,
        verifier,
        null);
  }

  public RewardInput {
    if (groupSize < 1) {
      throw new IllegalArgumentException("groupSize must be at least 1, got " + groupSize);
    }
    int rows = responseTexts.size();
    requireRows("promptIds", promptIds.length, rows);
    requireRows("responseIds", responseIds.length, rows);
    requireRows("promptTexts", promptTexts.size(), rows);
    requireRows("references", references.size(), rows);
    requireRows("truncated", truncated.length, rows);
    for (Map.Entry<String, List<Object>> c : columns.entrySet()) {
      requireRows("column " + c.getKey(), c.getValue().size(), rows);
    }
    columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
    if (rows % groupSize != 0) {
      throw new IllegalArgumentException(
          rows + " rows are not a whole number of groups of " + groupSize);
    }
  }

  private static void requireRows(String column, int actual, int rows) {
    if (actual != rows) {
      throw new IllegalArgumentException(
          column + " has " + actual + " rows but responseTexts has " + rows);
    }
  }

  /** N, the number of rows (prompts × groupSize). */
  public int size() {
    return responseTexts.size();
  }

  /** Row {@code i}'s reference answer, for rewards that compare against one. */
  public String requireReference(int i) {
    String reference = references.get(i);
    if (reference == null) {
      throw new IllegalArgumentException("row " + i + " has no reference to compare against");
    }
    return reference;
  }

  /**
   * Row {@code i}'s response as the token ids a token-id reward compares: the generated ids without
   * the stop token that ended the row (code points without a tokenizer).
   */
  public int[] responseTokens(int i) {
    if (encoder == null) {
      return responseTexts.get(i).codePoints().toArray();
    }
    int[] ids = responseIds[i];
    return truncated[i] || ids.length == 0 ? ids : java.util.Arrays.copyOf(ids, ids.length - 1);
  }

  /** {@code text} (a reference) as token ids, with the same tokenizer as the responses. */
  public int[] tokens(String text) {
    return encoder == null ? text.codePoints().toArray() : encoder.apply(text);
  }

  /**
   * Row {@code index} alone, as a batch of one with group size 1; its verifier still checks against
   * the original row. Used to find which sample a failing reward function chokes on.
   */
  public RewardInput row(int index) {
    RowVerifier rowVerifier =
        verifier == null ? null : (ignored, text) -> verifier.isCorrect(index, text);
    return new RewardInput(
        1,
        new int[][] {promptIds[index]},
        new int[][] {responseIds[index]},
        List.of(promptTexts.get(index)),
        List.of(responseTexts.get(index)),
        Collections.singletonList(references.get(index)),
        new boolean[] {truncated[index]},
        rowVerifier,
        encoder,
        columnsOf(index));
  }

  /** The dataset columns' values of row {@code index}, as one-row columns. */
  private Map<String, List<Object>> columnsOf(int index) {
    Map<String, List<Object>> one = new LinkedHashMap<>();
    columns.forEach((name, values) -> one.put(name, Collections.singletonList(values.get(index))));
    return one;
  }

  /**
   * The {@code columns} argument from each row's own column map (the columns of the row's example);
   * a column some rows lack is null on them.
   */
  public static Map<String, List<Object>> columnsOfRows(List<Map<String, Object>> rows) {
    List<String> names = new ArrayList<>();
    for (Map<String, Object> row : rows) {
      for (String name : row.keySet()) {
        if (!names.contains(name)) {
          names.add(name);
        }
      }
    }
    Map<String, List<Object>> out = new LinkedHashMap<>();
    for (String name : names) {
      List<Object> values = new ArrayList<>(rows.size());
      for (Map<String, Object> row : rows) {
        values.add(row.get(name));
      }
      out.put(name, Collections.unmodifiableList(values));
    }
    return out;
  }
}
