/**
 * The policy engine of tokenrl: decoder-only language models that score, train and sample on the
 * CPU with explicit forward and backward passes over ND4J arrays.
 *
 * <p>Architectures ({@link org.tokenrl.model.arch.ModelSpec}, chosen by {@code model.arch}): {@link
 * org.tokenrl.model.arch.Gpt} ({@code gpt}, {@link org.tokenrl.model.arch.GptConfig}: learned
 * positions, LayerNorm, GELU, tied head; the from-scratch model) and {@link
 * org.tokenrl.model.arch.Llama} ({@code llama}, {@link org.tokenrl.model.arch.LlamaConfig}:
 * RMSNorm, rotary embeddings in HF's rotate_half layout, SwiGLU, grouped-query attention, optional
 * q/k/v biases, tied or untied head; parameters under Hugging Face's tensor names and shapes). Each
 * is one readable file over shared layers, each layer with its backward pass, checked against
 * finite differences: {@link org.tokenrl.model.nn.Linear}, {@link org.tokenrl.model.nn.LayerNorm},
 * {@link org.tokenrl.model.nn.RmsNorm}, {@link org.tokenrl.model.nn.Gelu}, {@link
 * org.tokenrl.model.nn.SwiGlu}, {@link org.tokenrl.model.nn.Rope}, {@link
 * org.tokenrl.model.nn.Attention}, {@link org.tokenrl.model.nn.Embedding} and the chunked {@link
 * org.tokenrl.model.nn.LmHead}.
 *
 * <p>Real vocabularies: tokens enter as ids (embedding lookup, scatter-add gradient); the LM head,
 * log-softmax, entropy and loss gradient run in chunks of rows, so no [N·T, V] array exists. The
 * {@link org.tokenrl.model.Policy} methods that need whole distributions stream them ({@link
 * org.tokenrl.model.LogProbRows}) or take them sparse ({@link org.tokenrl.model.VocabCoef}).
 *
 * <p>Training ({@link org.tokenrl.model.Policy#update}): forward, chunked head, backward into
 * per-parameter gradient buffers, then the {@link org.tokenrl.model.Optimizer} step (global-norm
 * clipping and {@code AdamW}), after checking loss and gradient norm for NaN/Inf (a bad step
 * changes nothing). A KL term's frozen reference is a {@link org.tokenrl.model.ReferenceScorer}: a
 * frozen copy, or the LoRA policy with its adapters off or frozen; neither can update. Activations
 * live in a per-policy ND4J workspace ({@code Scratch}) reused by every pass. Sampling prefills a
 * {@link org.tokenrl.model.nn.KvCache} (n_kv_heads wide) with one forward pass over left-padded
 * prompts and decodes one token for all rows per step.
 *
 * <p>Persistence: {@link org.tokenrl.model.io.SafeTensors} (the standard safetensors format, F32)
 * and {@link org.tokenrl.model.io.Checkpoint} (checksummed directory, atomic replace; model.json
 * names the architecture).
 */
package org.tokenrl.model;
