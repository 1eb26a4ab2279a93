package org.tokenrl.model.arch;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.Params;
import org.tokenrl.model.nn.KvCache;
import org.tokenrl.model.nn.LoraAdapter;

/**
 * A decoder-only architecture as the {@link Policy} drives it: a forward pass over a packed batch
 * to the final hidden states (after the last norm), its backward pass into the parameter gradients,
 * and one-token decoding against a {@link KvCache}. The LM head is not part of it: {@link LmHead}
 * applies {@link #headWeight()} in chunks of rows.
 */
public interface Transformer {
  /** The LoRA adapters, in model order (empty without LoRA). */
  default java.util.List<LoraAdapter> adapters() {
    return java.util.List.of();
  }

  ModelSpec spec();

  Params params();

  /** Hidden states [R, d] of the batch's R = N·T slots; keeps activations when {@code train}. */
  INDArray forward(Batch batch, boolean train);

  /** Adds the gradients of the last training forward pass, given dL/dhidden [R, d]. */
  void backward(INDArray dHidden);

  /** LM head weight [V, d] (the token embedding when tied) and its gradient buffer. */
  INDArray headWeight();

  INDArray headGrad();

  /**
   * An empty cache for {@code blockOf.length} rows, row i reading prompt block {@code blockOf[i]},
   * with room for {@code capacity} generated tokens per row.
   */
  KvCache newCache(int[] blockOf, int capacity);

  /**
   * The forward pass over a left-padded batch of the cache's next prompt blocks (row j = the next
   * block not yet prefilled, in order) that also stores every layer's keys and values as those
   * blocks; returns the hidden states [R, d] as {@link #forward} does.
   */
  INDArray prefill(Batch prompts, KvCache cache);

  /**
   * One new token per live row of the cache ({@link KvCache#liveRows}) at its next tail slot:
   * tokens [L], positions [L] -> hidden [L, d]. Writes the token's keys/values into the cache and
   * advances it.
   */
  INDArray decode(int[] tokens, int[] positions, KvCache cache);
}
