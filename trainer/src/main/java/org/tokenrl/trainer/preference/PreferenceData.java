package org.tokenrl.trainer.preference;

import java.util.List;

/**
 * The pairs of a preference run with everything computed once per dataset: reference log-probs of
 * both responses, T-REG's token rewards r̂ and cDPO's rejected-token weights (null when the
 * algorithm does not use them). Rows are per pair, per response token.
 */
public record PreferenceData(
    List<CandidatePair> pairs,
    double[][] refChosen,
    double[][] refRejected,
    double[][] tokenRewardChosen,
    double[][] tokenRewardRejected,
    double[][] tokenWeightRejected) {

  public int size() {
    return pairs.size();
  }
}
