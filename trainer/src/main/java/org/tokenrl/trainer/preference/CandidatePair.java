package org.tokenrl.trainer.preference;

/**
 * One preference pair as token ids: the prompt (BOS first), the preferred response and the
 * dispreferred one (each ending in EOS unless it was truncated), plus the untagged prompt text that
 * T-REG's better/worse templates are filled with.
 */
public record CandidatePair(String promptText, int[] prompt, int[] chosen, int[] rejected) {}
