package org.tokenrl.model;

import java.util.List;
import org.tokenrl.model.arch.Batch;
import org.tokenrl.model.arch.ModelSpec;

/**
 * One pass over rows [from, to) of a batch: prompt ++ response without its last token, as a {@link
 * PassLayout} lays it out; response token t of row i is the target predicted at flat row {@code
 * rows[k]} of the batch, k enumerating (i, t) in order (the same flat row may be scored several
 * times: a shared prompt's last slot predicts every response's first token). {@code batch} is null
 * when the pass scores nothing. Also the checks every scoring or training call makes on the whole
 * batch, and its split into passes.
 */
record TeacherForced(Batch batch, int[] rows, int[] targets, int from, int to) {
  /**
   * Longest shared unit (slots) a group is kept whole in, unless the pass budget is smaller or one
   * of its sequences is longer: attention costs T² per row and keeps [N, H, T, T] probabilities for
   * backward, so a group of 64 long samples is split into several units (each with its own copy of
   * the prompt) rather than laid out as one row of thousands of slots. A group of 8 samples of ~20
   * tokens on a ~45-token prompt needs ~200.
   */
  static final int SHARED_UNIT_SLOTS = 256;

  /**
   * The passes of a validated batch in order, each within {@code passTokens} (rows × longest row)
   * unless a single row (or unit) is longer, laid out as {@code layout} says.
   */
  static List<TeacherForced> plan(
      int[][] prompts, int[][] responses, int passTokens, int maxSeqLen, PassLayout layout) {
    List<TeacherForced> out = new java.util.ArrayList<>();
    if (layout == PassLayout.PADDED) {
      for (int[] pass : passes(prompts, responses, passTokens)) {
        out.add(of(prompts, responses, pass, maxSeqLen));
      }
      return out;
    }
    int unitCap = Math.min(passTokens, SHARED_UNIT_SLOTS);
    for (int i = 0; i < prompts.length; i++) {
      unitCap = Math.max(unitCap, prompts[i].length + responses[i].length - 1);
    }
    List<int[]> units = units(prompts, responses, unitCap, layout == PassLayout.SHARED_PREFIX);
    // Rows are no longer than the longest unit, so packing never lengthens a row beyond what
    // padding to that unit would cost (attention is T² a row); it only fills the padding.
    int rowCap = 0;
    for (int[] unit : units) {
      rowCap = Math.max(rowCap, unitSlots(prompts, responses, unit));
    }
    // Each pass takes the next units in order (so it covers a consecutive range of batch rows),
    // first-fit into its rows, while rows × longest row fits the budget.
    Pass pass = new Pass(0);
    for (int[] unit : units) {
      int n = unitSlots(prompts, responses, unit);
      if (n == 0) {
        continue; // nothing to score: covered by the pass's row range, no slots
      }
      if (!pass.rows.isEmpty() && !pass.fits(n, rowCap, passTokens)) {
        out.add(packed(prompts, responses, pass.rows, pass.from, unit[0], maxSeqLen));
        pass = new Pass(unit[0]);
      }
      pass.add(unit, n, rowCap);
    }
    out.add(packed(prompts, responses, pass.rows, pass.from, prompts.length, maxSeqLen));
    return out;
  }

  /** The rows of a pass being planned: each a list of units, with its slots. */
  private static final class Pass {
    final int from;
    final List<List<int[]>> rows = new java.util.ArrayList<>();
    final List<Integer> lengths = new java.util.ArrayList<>();
    int longest;

    Pass(int from) {
      this.from = from;
    }

    /** The first row {@code n} more slots fit in (up to rowCap), or −1 for a new row. */
    int rowFor(int n, int rowCap) {
      for (int r = 0; r < rows.size(); r++) {
        if (lengths.get(r) + n <= rowCap) {
          return r;
        }
      }
      return -1;
    }

    boolean fits(int n, int rowCap, int passTokens) {
      int r = rowFor(n, rowCap);
      long count = r < 0 ? rows.size() + 1 : rows.size();
      int length = r < 0 ? n : lengths.get(r) + n;
      return count * Math.max(longest, length) <= passTokens;
    }

    void add(int[] unit, int n, int rowCap) {
      int r = rowFor(n, rowCap);
      if (r < 0) {
        rows.add(new java.util.ArrayList<>());
        lengths.add(0);
        r = rows.size() - 1;
      }
      rows.get(r).add(unit);
      lengths.set(r, lengths.get(r) + n);
      longest = Math.max(longest, lengths.get(r));
    }
  }

  /**
   * Rows [from, to) that one packed segment structure serves: consecutive rows with the same prompt
   * when {@code share} (split where the unit would outgrow {@code rowCap}), else each row.
   */
  private static List<int[]> units(int[][] prompts, int[][] responses, int rowCap, boolean share) {
    List<int[]> units = new java.util.ArrayList<>();
    int from = 0;
    for (int i = 1; i <= prompts.length; i++) {
      boolean extend =
          share
              && i < prompts.length
              && java.util.Arrays.equals(prompts[i], prompts[from])
              && unitSlots(prompts, responses, new int[] {from, i + 1}) <= rowCap;
      if (!extend) {
        units.add(new int[] {from, i});
        from = i;
      }
    }
    return units;
  }

  /** Slots of a unit: its prompt and every response but its last token; 0 if nothing is scored. */
  private static int unitSlots(int[][] prompts, int[][] responses, int[] unit) {
    int n = prompts[unit[0]].length;
    boolean scored = false;
    for (int i = unit[0]; i < unit[1]; i++) {
      scored |= responses[i].length > 0;
      n += Math.max(0, responses[i].length - 1);
    }
    return scored ? n : 0;
  }

  /**
   * One packed pass over batch rows [from, to): per row its units, each unit's prompt once
   * (positions 0..P−1, causal), then each response without its last token (positions P.., seeing
   * the prompt and itself causally).
   */
  private static TeacherForced packed(
      int[][] prompts,
      int[][] responses,
      List<List<int[]>> passRows,
      int from,
      int to,
      int maxSeqLen) {
    Batch.Packing packing = new Batch.Packing(maxSeqLen);
    int[][] predictors = new int[to - from][]; // per row i and t: (batch row, slot) predicting it
    int scored = 0;
    for (List<int[]> units : passRows) {
      packing.newRow();
      for (int[] unit : units) {
        scored += addUnit(packing, prompts, responses, unit, predictors, from);
      }
    }
    if (scored == 0) {
      return new TeacherForced(null, new int[0], new int[0], from, to);
    }
    Batch batch = packing.build();
    int[] rows = new int[scored];
    int[] targets = new int[scored];
    int k = 0;
    for (int i = from; i < to; i++) {
      int[] slots = predictors[i - from];
      for (int t = 0; slots != null && t < responses[i].length; t++) {
        rows[k] = batch.flat(slots[2 * t], slots[2 * t + 1]);
        targets[k++] = responses[i][t];
      }
    }
    return new TeacherForced(batch, rows, targets, from, to);
  }

  /**
   * Appends one unit to the packing's current row and records, per row i of the unit and response
   * token t, the (row, slot) whose hidden state predicts it; returns the tokens it scores.
   */
  private static int addUnit(
      Batch.Packing packing,
      int[][] prompts,
      int[][] responses,
      int[] unit,
      int[][] predictors,
      int from) {
    if (unitSlots(prompts, responses, unit) == 0) {
      return 0;
    }
    int row = packing.currentRow();
    int[] prompt = prompts[unit[0]];
    int p = prompt.length;
    int promptAt = packing.add(prompt, 0, p, 0, -1);
    int scored = 0;
    for (int i = unit[0]; i < unit[1]; i++) {
      int[] response = responses[i];
      int c = response.length;
      int respAt = c > 1 ? packing.add(response, 0, c - 1, p, promptAt) : -1;
      int[] slots = new int[2 * c];
      for (int t = 0; t < c; t++) {
        slots[2 * t] = row;
        slots[2 * t + 1] = t == 0 ? promptAt + p - 1 : respAt + t - 1;
      }
      predictors[i - from] = slots;
      scored += c;
    }
    return scored;
  }

  /**
   * The rows {@code pass} = [from, to) of a validated batch, right-padded to at most {@code
   * maxSeqLen} positions, with their scored rows.
   */
  static TeacherForced of(int[][] all, int[][] allResponses, int[] pass, int maxSeqLen) {
    int[][] prompts = rows(all, pass);
    int[][] responses = rows(allResponses, pass);
    int[][] inputs = new int[prompts.length][];
    int scored = 0;
    for (int i = 0; i < prompts.length; i++) {
      int[] sequence = java.util.Arrays.copyOf(prompts[i], prompts[i].length + responses[i].length);
      System.arraycopy(responses[i], 0, sequence, prompts[i].length, responses[i].length);
      inputs[i] = java.util.Arrays.copyOf(sequence, sequence.length - 1);
      scored += responses[i].length;
    }
    Batch batch = Batch.rightPadded(inputs, maxSeqLen);
    int[] rows = new int[scored];
    int[] targets = new int[scored];
    int k = 0;
    for (int i = 0; i < prompts.length; i++) {
      for (int t = 0; t < responses[i].length; t++) {
        rows[k] = batch.flat(i, prompts[i].length - 1 + t);
        targets[k++] = responses[i][t];
      }
    }
    return new TeacherForced(batch, rows, targets, pass[0], pass[1]);
  }

  /** The checks every scoring or training call makes on the whole batch before any pass. */
  static void validate(ModelSpec spec, int[][] prompts, int[][] responses, double temperature) {
    if (prompts.length != responses.length) {
      throw new IllegalArgumentException(
          prompts.length + " prompts but " + responses.length + " responses");
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    for (int i = 0; i < prompts.length; i++) {
      if (prompts[i].length == 0) {
        throw new IllegalArgumentException("prompt " + i + " is empty: start prompts with BOS");
      }
      int len = prompts[i].length + responses[i].length - 1;
      if (len > spec.maxSeqLen()) {
        throw new IllegalArgumentException(
            "row "
                + i
                + " holds "
                + len
                + " tokens but the model sees at most "
                + spec.maxSeqLen()
                + " positions: shorten prompts/responses or use a model with more positions");
      }
      for (int y : responses[i]) {
        if (y < 0 || y >= spec.vocabSize()) {
          throw new IllegalArgumentException(
              "response token "
                  + y
                  + " (row "
                  + i
                  + ") is outside the vocabulary [0, "
                  + spec.vocabSize()
                  + ")");
        }
      }
    }
  }

  /**
   * Checks {@link Policy#update}'s coefficients against the responses: throws when a shape or id is
   * wrong, returns why the step must be skipped when one is not finite, null when all are usable.
   */
  static String checkCoefficients(
      ModelSpec spec, int[][] responses, double[][] targetCoef, VocabCoef[][] vocabCoef) {
    if (targetCoef == null || targetCoef.length != responses.length) {
      throw new IllegalArgumentException("targetCoef must have one row per response");
    }
    for (int i = 0; i < responses.length; i++) {
      if (targetCoef[i].length != responses[i].length) {
        throw new IllegalArgumentException(
            "targetCoef["
                + i
                + "] has "
                + targetCoef[i].length
                + " entries but response "
                + i
                + " has "
                + responses[i].length
                + " tokens");
      }
      for (int t = 0; t < targetCoef[i].length; t++) {
        if (!Double.isFinite(targetCoef[i][t])) {
          return "non-finite targetCoef[" + i + "][" + t + "] = " + targetCoef[i][t];
        }
      }
      if (vocabCoef == null) {
        continue;
      }
      if (vocabCoef.length != responses.length || vocabCoef[i].length != responses[i].length) {
        throw new IllegalArgumentException("vocabCoef must be [N][responses[i].length]");
      }
      for (int t = 0; t < vocabCoef[i].length; t++) {
        VocabCoef c = vocabCoef[i][t];
        if (c == null) {
          continue;
        }
        for (int j = 0; j < c.ids().length; j++) {
          if (c.ids()[j] < 0 || c.ids()[j] >= spec.vocabSize()) {
            throw new IllegalArgumentException(
                "vocabCoef["
                    + i
                    + "]["
                    + t
                    + "] names id "
                    + c.ids()[j]
                    + " outside the vocabulary");
          }
          if (!Float.isFinite(c.values()[j])) {
            return "non-finite vocabCoef[" + i + "][" + t + "] entry " + c.values()[j];
          }
        }
      }
    }
    return null;
  }

  /**
   * Null when {@code entropyCoef} is null or finite with one entry per response token, the reason
   * for skipping the step when an entry is not finite; throws on a shape mismatch.
   */
  static String checkEntropyCoefficients(int[][] responses, double[][] entropyCoef) {
    if (entropyCoef == null) {
      return null;
    }
    if (entropyCoef.length != responses.length) {
      throw new IllegalArgumentException("entropyCoef must have one row per response");
    }
    for (int i = 0; i < responses.length; i++) {
      if (entropyCoef[i].length != responses[i].length) {
        throw new IllegalArgumentException(
            "entropyCoef["
                + i
                + "] has "
                + entropyCoef[i].length
                + " entries but response "
                + i
                + " has "
                + responses[i].length
                + " tokens");
      }
      for (int t = 0; t < entropyCoef[i].length; t++) {
        if (!Double.isFinite(entropyCoef[i][t])) {
          return "non-finite entropyCoef[" + i + "][" + t + "] = " + entropyCoef[i][t];
        }
      }
    }
    return null;
  }

  /** Consecutive row ranges [from, to), each within the pass budget (or a single row). */
  static List<int[]> passes(int[][] prompts, int[][] responses, int passTokens) {
    List<int[]> out = new java.util.ArrayList<>();
    int from = 0;
    int longest = 0;
    for (int i = 0; i < prompts.length; i++) {
      int len = prompts[i].length + responses[i].length - 1;
      if (i > from && (long) Math.max(longest, len) * (i - from + 1) > passTokens) {
        out.add(new int[] {from, i});
        from = i;
        longest = 0;
      }
      longest = Math.max(longest, len);
    }
    if (from < prompts.length) {
      out.add(new int[] {from, prompts.length});
    }
    return out;
  }

  private static int[][] rows(int[][] all, int[] pass) {
    return java.util.Arrays.copyOfRange(all, pass[0], pass[1]);
  }
}
