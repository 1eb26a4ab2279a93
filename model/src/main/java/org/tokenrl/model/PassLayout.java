package org.tokenrl.model;

/**
 * How the teacher-forced passes of {@link Policy#score} and {@link Policy#update} lay their rows
 * out (docs/packed-update.md). All three give the same log-probs and gradients; they differ in how
 * many token slots a pass computes.
 */
public enum PassLayout {
  /** One right-padded row per sequence prompt ++ response: every sample recomputes its prompt. */
  PADDED,
  /** Sequences packed one after another in rows without padding (block-diagonal causal mask). */
  PACKED,
  /**
   * Packed, and consecutive rows with the same prompt laid out as [prompt, response 1, ...,
   * response G]: the prompt is computed once and every response attends to it (the default).
   */
  SHARED_PREFIX
}
