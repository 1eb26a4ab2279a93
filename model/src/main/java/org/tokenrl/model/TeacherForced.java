package org.tokenrl.model;

import java.util.List;
import org.tokenrl.model.arch.Batch;
import org.tokenrl.model.arch.ModelSpec;

/**
 * prompt ++ response without its last token, right-padded; response token t of row i is the target
 * predicted at flat row {@code rows[k]} of the batch, k enumerating (i, t) in order. Also the
 * checks every scoring or training call makes on the whole batch, and its split into passes.
 */
record TeacherForced(Batch batch, int[] rows, int[] targets) {

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
    return new TeacherForced(batch, rows, targets);
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
