package org.tokenrl.model;

/**
 * Per response-token log-probability of the actual token and entropy of the whole distribution.
 * Both arrays are {@code [N][responses[i].length]}.
 */
public record TokenScores(double[][] logprobs, double[][] entropies) {}
