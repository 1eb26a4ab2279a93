package org.tokenrl.algorithms.preference;

import com.typesafe.config.Config;
import org.tokenrl.algorithms.preference.Cdpo.ContrastiveEstimation;
import org.tokenrl.algorithms.preference.Treg.TokenRewards;

/**
 * A configured preference algorithm (dpo, treg, cdpo): the loss and what the trainer must put into
 * its {@link PairLossInput} besides policy and reference log-probs.
 *
 * <p>Per batch of pairs: fill the input (token rewards / weights are computed once per dataset and
 * cached), call {@code objective.compute(input)}, and back-propagate gradChosen / gradRejected as
 * the per-token targetCoef of the chosen and rejected sequences.
 *
 * @param name registry name
 * @param objective the pair loss
 * @param needsTokenRewards T-REG: fill tokenRewardChosen/Rejected with {@link
 *     TokenRewards#contrastive} of the reference model's log-probs under {@code better_template}
 *     and {@code worse_template}
 * @param needsCriticalWeights cDPO: fill tokenWeightRejected with {@link
 *     ContrastiveEstimation#weights} from the positive and negative models (pipeline keys in
 *     settings)
 * @param needsPromptLengths cDPO {@code form = per-position}: fill promptLengths
 * @param settings the resolved {@code algorithm} block, including the pipeline keys the trainer
 *     reads (templates, contrastive_* ...)
 */
public record PreferenceAlgorithm(
    String name,
    PairObjective objective,
    boolean needsTokenRewards,
    boolean needsCriticalWeights,
    boolean needsPromptLengths,
    Config settings) {}
