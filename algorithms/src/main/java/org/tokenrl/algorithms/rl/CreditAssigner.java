package org.tokenrl.algorithms.rl;

/** Turns a scored batch into per-token advantages and keep-masks (GRPO, TEMPO, D3S on either). */
@FunctionalInterface
public interface CreditAssigner {
  TokenCredit assign(CreditInput in);
}
