package org.tokenrl.algorithms.preference;

import org.tokenrl.algorithms.preference.Cdpo.ContrastiveEstimation;
import org.tokenrl.algorithms.preference.Treg.TokenRewards;

/**
 * Inputs of a {@link PairObjective}, index p = pair. Every per-token array is ragged over the
 * RESPONSE tokens only (prompt and padding are not in it, so there is no mask): row p of every
 * chosen array has the chosen response's length, row p of every rejected array the rejected one's.
 *
 * @param policyChosen log πθ(y^w_t) per chosen token (the values the gradient refers to)
 * @param policyRejected log πθ(y^l_t) per rejected token
 * @param refChosen log πref(y^w_t) (detached)
 * @param refRejected log πref(y^l_t) (detached)
 * @param tokenRewardChosen T-REG r̂ per chosen token ({@link TokenRewards#contrastive}); null
 *     unless the loss needs it
 * @param tokenRewardRejected T-REG r̂ per rejected token; null unless needed
 * @param tokenWeightChosen cDPO weight per chosen token; null = 1 everywhere (the paper's default)
 * @param tokenWeightRejected cDPO weight 1 − s_t per rejected token ({@link
 *     ContrastiveEstimation}); null unless needed
 * @param promptLengths prompt length in tokens per pair, only read by cDPO's per-position form to
 *     rebuild the padded grid of the official code; null otherwise
 */
public record PairLossInput(
    double[][] policyChosen,
    double[][] policyRejected,
    double[][] refChosen,
    double[][] refRejected,
    double[][] tokenRewardChosen,
    double[][] tokenRewardRejected,
    double[][] tokenWeightChosen,
    double[][] tokenWeightRejected,
    int[] promptLengths) {

  public PairLossInput {
    require(policyChosen, "policyChosen", "every preference loss");
    require(policyRejected, "policyRejected", "every preference loss");
    require(refChosen, "refChosen", "every preference loss");
    require(refRejected, "refRejected", "every preference loss");
    int b = policyChosen.length;
    checkShape("policyRejected", policyRejected, null, b);
    checkShape("refChosen", refChosen, policyChosen, b);
    checkShape("refRejected", refRejected, policyRejected, b);
    checkShape("tokenRewardChosen", tokenRewardChosen, policyChosen, b);
    checkShape("tokenRewardRejected", tokenRewardRejected, policyRejected, b);
    checkShape("tokenWeightChosen", tokenWeightChosen, policyChosen, b);
    checkShape("tokenWeightRejected", tokenWeightRejected, policyRejected, b);
    if (promptLengths != null) {
      if (promptLengths.length != b) {
        throw new IllegalArgumentException(
            "promptLengths has " + promptLengths.length + " entries, there are " + b + " pairs");
      }
      for (int p = 0; p < b; p++) {
        if (promptLengths[p] < 1) {
          throw new IllegalArgumentException(
              "promptLengths["
                  + p
                  + "] must be >= 1 (a prompt has at least one token), got "
                  + promptLengths[p]);
        }
      }
    }
  }

  /** Input of plain DPO: no token rewards, weights or prompt lengths. */
  public static PairLossInput dpo(
      double[][] policyChosen,
      double[][] policyRejected,
      double[][] refChosen,
      double[][] refRejected) {
    return new PairLossInput(
        policyChosen, policyRejected, refChosen, refRejected, null, null, null, null, null);
  }

  /** Number of pairs. */
  public int size() {
    return policyChosen.length;
  }

  /** Throws naming the missing input and the algorithm that needs it. */
  static <T> T require(T value, String name, String neededBy) {
    if (value == null) {
      throw new IllegalArgumentException(name + " is missing (null); " + neededBy + " needs it");
    }
    return value;
  }

  private static void checkShape(String name, double[][] rows, double[][] like, int pairs) {
    if (rows == null) {
      return;
    }
    if (rows.length != pairs) {
      throw new IllegalArgumentException(
          name + " has " + rows.length + " rows, policyChosen has " + pairs + " pairs");
    }
    for (int p = 0; p < pairs; p++) {
      if (rows[p] == null) {
        throw new IllegalArgumentException(name + " row " + p + " is null");
      }
      if (like != null && rows[p].length != like[p].length) {
        throw new IllegalArgumentException(
            name
                + " row "
                + p
                + " has "
                + rows[p].length
                + " tokens, its response has "
                + like[p].length);
      }
    }
  }
}
