package org.tokenrl.rewards;

import java.util.Locale;

/**
 * Sentence-BLEU smoothing, with the semantics of NLTK's {@code SmoothingFunction().method0..3}
 * (Chen and Cherry 2014; docs/tensorbleu.md §3). The TensorBLEU names are given for reference; in
 * {@link BleuMode#TENSORBLEU_COMPAT} the TensorBLEU code's own (different) formulas apply
 * (docs/tensorbleu.md §5).
 */
public enum Smoothing {
  /** No smoothing: a zero-match order gets p = {@link Double#MIN_NORMAL} (TensorBLEU "none"). */
  METHOD0,
  /** A zero-match order gets p = epsilon / d with epsilon = 0.1 (TensorBLEU "floor"). */
  METHOD1,
  /** Orders n ≥ 2 get p = (num + 1) / (d + 1); unigrams are not smoothed (TensorBLEU "add-k"). */
  METHOD2,
  /** The k-th zero-match order gets p = 1 / (2^k · d), NIST geometric (TensorBLEU "exp"). */
  METHOD3;

  /** NLTK's {@code SmoothingFunction} default epsilon, used by {@link #METHOD1}. */
  public static final double EPSILON = 0.1;

  /** Parses "method0".."method3" (case-insensitive), the names NLTK uses. */
  public static Smoothing parse(String name) {
    for (Smoothing s : values()) {
      if (s.name().equalsIgnoreCase(name.trim())) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown smoothing '" + name + "': use method0, method1, method2 or method3");
  }

  /** The NLTK name, e.g. "method1". */
  public String nltkName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
