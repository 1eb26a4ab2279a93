package org.tokenrl.model;

/**
 * Output of {@link Policy#generate}. Row i's arrays all have the length of {@code responses[i]},
 * which includes the EOS token when one was emitted. Log-probs and entropies are those of the
 * temperature-scaled distribution before top-k/top-p filtering, i.e. what {@link Policy#score}
 * returns for the same response at the same temperature.
 *
 * @param truncated row hit {@code maxNewTokens} without emitting EOS
 */
public record Generation(
    int[][] responses, float[][] logprobs, float[][] entropies, boolean[] truncated) {}
