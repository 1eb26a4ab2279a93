package org.tokenrl.core;

/**
 * One preference pair in token ids, with the reference model's log-probs cached beside it: row of a
 * {@link PreferenceBatch}. {@code chosenIds} and {@code rejectedIds} are the responses only; the
 * model sees {@code promptIds ++ chosenIds} (ids concatenated, never re-tokenized,
 * docs/preference.md §1.2).
 *
 * <p>{@code refChosenLogprobs[t]} is log π_ref(chosen[t] | prompt, chosen[<t]), one per response
 * token; likewise for rejected. The optional token weights (T-REG's r̂, or cDPO's 1 − s on the
 * rejected side) are one per response token too, or null when absent.
 *
 * <p>Arrays are not copied: do not change them after construction.
 */
public record PreferencePair(
    int pairId,
    int[] promptIds,
    int[] chosenIds,
    int[] rejectedIds,
    float[] refChosenLogprobs,
    float[] refRejectedLogprobs,
    float[] chosenTokenWeights,
    float[] rejectedTokenWeights) {

  public PreferencePair {
    String where = "preference pair " + pairId;
    if (promptIds == null || chosenIds == null || rejectedIds == null) {
      throw new IllegalArgumentException(where + ": prompt, chosen and rejected ids are required");
    }
    if (refChosenLogprobs == null || refRejectedLogprobs == null) {
      throw new IllegalArgumentException(where + ": reference log-probs are required");
    }
    if (chosenIds.length == 0 || rejectedIds.length == 0) {
      throw new IllegalArgumentException(
          where
              + ": "
              + (chosenIds.length == 0 ? "chosen" : "rejected")
              + " response is empty; drop such pairs when loading data (docs/preference.md §2.1)");
    }
    checkLength(where, "ref chosen log-probs", refChosenLogprobs, "chosen", chosenIds.length);
    checkLength(
        where, "ref rejected log-probs", refRejectedLogprobs, "rejected", rejectedIds.length);
    if (chosenTokenWeights != null) {
      checkLength(where, "chosen token weights", chosenTokenWeights, "chosen", chosenIds.length);
    }
    if (rejectedTokenWeights != null) {
      checkLength(
          where, "rejected token weights", rejectedTokenWeights, "rejected", rejectedIds.length);
    }
  }

  /** A pair without token weights (plain DPO). */
  public PreferencePair(
      int pairId,
      int[] promptIds,
      int[] chosenIds,
      int[] rejectedIds,
      float[] refChosenLogprobs,
      float[] refRejectedLogprobs) {
    this(
        pairId,
        promptIds,
        chosenIds,
        rejectedIds,
        refChosenLogprobs,
        refRejectedLogprobs,
        null,
        null);
  }

  /** This pair with the given token weights (either may be null). */
  public PreferencePair withTokenWeights(float[] chosen, float[] rejected) {
    return new PreferencePair(
        pairId,
        promptIds,
        chosenIds,
        rejectedIds,
        refChosenLogprobs,
        refRejectedLogprobs,
        chosen,
        rejected);
  }

  public boolean hasTokenWeights() {
    return chosenTokenWeights != null || rejectedTokenWeights != null;
  }

  private static void checkLength(
      String where, String what, float[] values, String response, int tokens) {
    if (values.length != tokens) {
      throw new IllegalArgumentException(
          where
              + ": "
              + values.length
              + " "
              + what
              + " for "
              + tokens
              + " "
              + response
              + " tokens; need one per response token");
    }
  }
}
