package org.tokenrl.algorithms.sft;

import com.typesafe.config.Config;

/**
 * A configured supervised algorithm (sft, otr): teacher-forced training on ground-truth responses.
 *
 * @param name registry name
 * @param oneTokenRollout the OTR loss; null for plain sft (NLL of the labels)
 * @param settings the resolved {@code algorithm} block, for logging
 */
public record SupervisedAlgorithm(String name, Otr oneTokenRollout, Config settings) {}
