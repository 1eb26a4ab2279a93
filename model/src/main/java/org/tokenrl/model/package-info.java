/**
 * The SameDiff policy engine of tokenrl: a small decoder-only transformer that scores, trains and
 * samples on the CPU.
 *
 * <p>Architecture ({@link org.tokenrl.model.ModelConfig}): one-hot token embedding times a matrix
 * (tied with the LM head), learned positions (also one-hot times a matrix), pre-LayerNorm blocks
 * of causal multi-head attention and a GELU MLP without linear biases, a final LayerNorm, and a
 * hand-written log-softmax. One-hot embeddings and the hand-written log-softmax work around two
 * gradient bugs of SameDiff 1.0.0-M2.1 (more than one gather per graph; logSoftmax's gradient),
 * and are cheap for the ~100-token character vocabularies this project uses.
 *
 * <p>{@code TransformerGraph} builds two graphs over the same parameter arrays: the full graph
 * over padded [N, T] batches (scoring, training, prefill, and reference decoding) and a one-token
 * decode graph with per-layer K/V caches as placeholders. Parameters are only changed in place,
 * so a training step is seen by the sampler at once.
 *
 * <p>Training ({@link org.tokenrl.model.Policy#update}): {@code SameDiff.fit} computes the
 * gradients of the surrogate loss {@code sum(coef * logp)}; a capturing "updater" keeps them and
 * turns fit's own update into zeros, then {@code AdamW} applies global-norm clipping and the step
 * in Java, after checking loss and gradient norm for NaN/Inf (a bad step changes nothing).
 *
 * <p>Persistence: {@link org.tokenrl.model.SafeTensors} (the standard safetensors format, F32) and
 * {@link org.tokenrl.model.Checkpoint} (checksummed directory, atomic replace).
 */
package org.tokenrl.model;
