package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;

/**
 * An RL algorithm as the trainer's step calls it: credit once per batch, then a loss per update
 * epoch. Implementations own their credit rule and their objective; the trainer never branches on
 * which one it runs.
 *
 * <pre>
 *   credit = algorithm.credit(batch)                      // once, on the whole scored batch
 *   for epoch in 1..updatesPerBatch:                       // rows left out by dynamic sampling
 *     logpNew = policy.score(rows)                         //   are dropped from credit first
 *     loss = algorithm.loss(credit.lossInput(logpNew, logpOld, logpRef, maxLen))
 *     policy.update(rows, loss.gradLogpNew())
 * </pre>
 *
 * logpOld are the sampling-time log-probs for every epoch; logpRef is scored only when {@link
 * #needsReference()}.
 *
 * <p>Adding an algorithm (a sequence-level ratio such as GSPO, plain REINFORCE, ...) is one class
 * implementing this interface with a static {@code create(Config block)}, one
 * configs/algorithm/&lt;name&gt;.conf documenting its keys, and one line in {@code Algorithms}. Its
 * {@link #credit} must honour {@link RlBatch#lossMask()}: a token outside it gets no advantage, is
 * not in {@link TokenCredit#keep()} nor in {@link TokenCredit#denominatorMask()} (the trainer
 * checks the two masks).
 */
public interface RlAlgorithm {

  /** The registry name. */
  String name();

  /** The resolved {@code algorithm} block, for logging. */
  Config settings();

  /** Optimisation epochs over each batch (TRL num_iterations, verl ppo_epochs); at least 1. */
  int updatesPerBatch();

  /** Whether the trainer must score the frozen reference policy (e.g. kl_beta > 0). */
  boolean needsReference();

  /**
   * Per-token advantages and masks for one batch, rows aligned with {@link RlBatch#responses()}.
   */
  TokenCredit credit(RlBatch batch);

  /** Loss, dLoss/dlogpNew and {@code actor/*} metrics of one update epoch. */
  LossResult loss(PolicyLossInput input);
}
