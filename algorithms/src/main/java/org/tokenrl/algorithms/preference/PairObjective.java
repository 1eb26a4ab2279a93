package org.tokenrl.algorithms.preference;

/** A preference-pair loss: DPO and its token-level variants. */
@FunctionalInterface
public interface PairObjective {
  PairLossResult compute(PairLossInput in);
}
