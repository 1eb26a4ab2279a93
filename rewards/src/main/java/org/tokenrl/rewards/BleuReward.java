package org.tokenrl.rewards;

import com.typesafe.config.Config;
import java.util.regex.Pattern;

/**
 * {@code bleu}: per-sentence BLEU of each response against its reference(s), computed for the whole
 * batch at once by {@link TensorBleu} (NLTK-exact by default).
 *
 * <p>Sentences are compared as sequences of character codes, which are the token ids of tokenrl's
 * character tokenizer (up to a fixed offset, which BLEU ignores). Parameters (defaults): {@code
 * smoothing} (method1: unsmoothed BLEU of a short response is almost always ~0, which gives RL no
 * signal), {@code max_n} (4, uniform weights), {@code mode} (nltk | tensorbleu), {@code separator}
 * ("" = one reference; otherwise the reference text is split on this literal string into several
 * references).
 */
public final class BleuReward implements RewardFunction {
  public static final String NAME = "bleu";
  private final TensorBleu bleu;
  private final String separator;

  public BleuReward(Config params) {
    RewardParams p = RewardParams.of(params, NAME, "smoothing", "max_n", "mode", "separator");
    double maxOrder = p.number("max_n", 4);
    // A fraction is refused, not truncated: max_n = 2.5 is a typo, not an order of 2.
    p.require(
        maxOrder >= 1 && maxOrder <= 8 && maxOrder == Math.rint(maxOrder),
        "max_n",
        "must be a whole number in 1..8, got " + maxOrder);
    int maxN = (int) maxOrder;
    BleuConfig config = BleuConfig.of(maxN, Smoothing.parse(p.string("smoothing", "method1")));
    String mode = p.string("mode", "nltk");
    config =
        switch (mode) {
          case "nltk" -> config.withMode(BleuMode.NLTK_EXACT);
          case "tensorbleu" -> config.withMode(BleuMode.TENSORBLEU_COMPAT);
          default ->
              throw new IllegalArgumentException(
                  "bleu.mode must be nltk or tensorbleu, got '" + mode + "'");
        };
    this.bleu = new TensorBleu(config);
    this.separator = p.string("separator", "");
  }

  @Override
  public RewardScores score(RewardInput input) {
    int n = input.size();
    int[][] candidates = new int[n][];
    int[][][] references = new int[n][][];
    for (int i = 0; i < n; i++) {
      candidates[i] =
          input.responseTokens(i); // the generated token ids (TensorBLEU's token-id BLEU)
      String reference = input.requireReference(i);
      String[] parts =
          separator.isEmpty()
              ? new String[] {reference}
              : reference.split(Pattern.quote(separator), -1);
      references[i] = new int[parts.length][];
      for (int r = 0; r < parts.length; r++) {
        references[i][r] = input.tokens(parts[r]);
      }
    }
    return RewardScores.of(bleu.sentenceBleu(candidates, references));
  }

  @Override
  public String name() {
    return NAME;
  }
}
