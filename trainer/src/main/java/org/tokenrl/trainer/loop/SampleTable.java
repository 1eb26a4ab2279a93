package org.tokenrl.trainer.loop;

import java.util.List;
import java.util.Locale;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.trainer.setup.RunSpec;

/**
 * The TEXT tab's sample tables (markdown): what the policy writes, and where the credit went.
 *
 * <ul>
 *   <li>{@code samples/eval}: at every evaluation, the first held-out prompts with the greedy
 *       response, the reference answer and the verifier's verdict.
 *   <li>{@code samples/rollouts}: in the RL phase, at every evaluation and every {@code
 *       tensorboard.samples_every} steps, the step's first rollouts (one group's responses come
 *       first, so the table shows how the group differed) with their reward and each token's
 *       advantage, e.g. {@code 4:+0.31}. A token the algorithm left out of the update (D³S) shows
 *       its advantage in parentheses.
 * </ul>
 *
 * Texts are cut to {@code tensorboard.sample_chars} characters and the credit cell to {@code
 * tensorboard.sample_tokens} tokens, so the tab stays small.
 */
public final class SampleTable {
  public static final String EVAL_TAG = Metrics.SAMPLES_EVAL;
  public static final String ROLLOUT_TAG = Metrics.SAMPLES_ROLLOUTS;

  /** One greedy held-out answer. */
  record EvalRow(String prompt, String response, String answer, boolean correct) {}

  private final int rows;
  private final int every;
  private final int chars;
  private final int tokens;

  SampleTable(int rows, int every, int chars, int tokens) {
    this.rows = rows;
    this.every = every;
    this.chars = chars;
    this.tokens = tokens;
  }

  /** The tables of the run's {@code tensorboard.*} settings. */
  static SampleTable of(RunSpec.Samples s) {
    SampleTable t = new SampleTable(s.rows(), s.every(), s.chars(), s.tokens());
    check(t.rows >= 0, "tensorboard.samples must be >= 0, got " + t.rows);
    check(t.every >= 0, "tensorboard.samples_every must be >= 0, got " + t.every);
    check(t.chars >= 1, "tensorboard.sample_chars must be >= 1, got " + t.chars);
    check(t.tokens >= 1, "tensorboard.sample_tokens must be >= 1, got " + t.tokens);
    return t;
  }

  /** Held-out rows an evaluation keeps for the table. */
  int rows() {
    return rows;
  }

  /** Whether RL step {@code phaseStep} writes a rollout table (evaluations always do). */
  boolean rolloutsAt(long phaseStep, boolean evaluated) {
    return rows > 0 && (evaluated || (every > 0 && phaseStep % every == 0));
  }

  String eval(List<EvalRow> samples) {
    StringBuilder md = new StringBuilder();
    md.append("| prompt | greedy response | answer | correct |\n|---|---|---|---|\n");
    for (EvalRow r : samples.subList(0, Math.min(rows, samples.size()))) {
      md.append("| ")
          .append(cell(r.prompt()))
          .append(" | ")
          .append(cell(r.response()))
          .append(" | ")
          .append(cell(r.answer()))
          .append(" | ")
          .append(r.correct() ? "yes" : "no")
          .append(" |\n");
    }
    return md.toString();
  }

  /**
   * The rollout table for rows [0, samples) of a step's update batch.
   *
   * @param prompts prompt texts per row
   * @param responses response token ids per row, [N][len_i]
   * @param rewards composite reward per row
   * @param credit the algorithm's advantages and keep masks for the same rows
   * @param inUpdate per row, whether it entered the update (dynamic_sampling = drop leaves out
   *     groups whose rewards are all equal)
   * @param truncated per row, whether it hit rollout.max_new_tokens
   * @param lossMask per token (null: all true), false on a multi-turn rollout's environment tokens:
   *     each run of them is one greyed cell piece, {@code ⟦env: text⟧}, with no advantage
   */
  String rollouts(
      List<String> prompts,
      int[][] responses,
      double[] rewards,
      TokenCredit credit,
      Tokenizer tokenizer,
      boolean[] inUpdate,
      boolean[] truncated,
      boolean[][] lossMask) {
    StringBuilder md = new StringBuilder();
    md.append("| prompt | response | reward | credit (token:advantage) | update |\n")
        .append("|---|---|---|---|---|\n");
    int n = Math.min(rows, responses.length);
    for (int i = 0; i < n; i++) {
      int[] ids = responses[i];
      StringBuilder creditCell = new StringBuilder();
      for (int t = 0; t < ids.length && t < tokens; t++) {
        if (lossMask != null && lossMask[i] != null && !lossMask[i][t]) {
          int end = t;
          while (end < ids.length && !lossMask[i][end]) {
            end++;
          }
          String text = tokenizer.decode(java.util.Arrays.copyOfRange(ids, t, end));
          creditCell
              .append(t == 0 ? "" : " ")
              .append("⟦env: ")
              .append(escape(text.replace("\n", "⏎")))
              .append("⟧");
          t = end - 1;
          continue;
        }
        double a = credit.advantages()[i][t];
        String value = String.format(Locale.ROOT, "%+.2f", a);
        creditCell
            .append(t == 0 ? "" : " ")
            .append(escape(TokenPieces.piece(ids[t], tokenizer)))
            .append(':')
            .append(credit.keep()[i][t] ? value : "(" + value + ")");
      }
      if (ids.length > tokens) {
        creditCell.append(" …");
      }
      md.append("| ")
          .append(cell(prompts.get(i)))
          .append(" | ")
          .append(cell(tokenizer.decode(ids)))
          .append(" | ")
          .append(String.format(Locale.ROOT, "%.3f", rewards[i]))
          .append(" | ")
          .append(creditCell.toString().replace("|", "\\|"))
          .append(" | ")
          .append(inUpdate[i] ? "trained" : "left out (group rewards all equal)")
          .append(truncated[i] ? "; truncated" : "")
          .append(" |\n");
    }
    return md.toString();
  }

  /** Text cut to the configured length, escaped for a markdown table cell. */
  private String cell(String text) {
    String cut = text.length() > chars ? text.substring(0, chars) + "…" : text;
    return escape(cut.replace("\n", "⏎")).replace("|", "\\|");
  }

  /** Backslash-escapes markdown's punctuation; '<' and '&' as entities (no raw HTML). */
  private static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '-', '.', '!' ->
            out.append('\\').append(ch);
        default -> out.append(ch);
      }
    }
    return out.toString();
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
