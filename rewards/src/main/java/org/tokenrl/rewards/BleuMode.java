package org.tokenrl.rewards;

/** Which reference implementation a BLEU score reproduces. */
public enum BleuMode {
  /**
   * NLTK's {@code sentence_bleu} / {@code corpus_bleu} exactly (docs/tensorbleu.md §2). The
   * default.
   */
  NLTK_EXACT,
  /**
   * The TensorBLEU PyTorch code (rxlm {@code tensorbleu.py}) including its deviations from NLTK
   * (docs/tensorbleu.md §5 items 1-8): token id 0 is padding and is masked wherever it occurs,
   * sentences with fewer references than the batch maximum get empty reference slots (as a padded
   * tensor would), closest-length ties go to the first reference, and smoothing follows the code,
   * not NLTK.
   */
  TENSORBLEU_COMPAT
}
