package org.tokenrl.model.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tokenrl.model.arch.Batch;

/**
 * Per-layer keys and values of B sequences, [B, G, C, hd] with G the key/value heads (a GQA cache
 * is n_kv_heads wide, not n_heads), and an additive mask [B, 1, 1, C] that hides pad slots and
 * slots not written yet. Slots fill left to right; every row writes its next token at the same
 * slot, which is why prompts are prefilled left-padded.
 */
public final class KvCache implements AutoCloseable {
  public final INDArray[] keys;
  public final INDArray[] values;
  final INDArray mask;
  final int capacity;
  private int length;

  public KvCache(int layers, int rows, int kvHeads, int headDim, int capacity, DataType dtype) {
    this.capacity = capacity;
    keys = new INDArray[layers];
    values = new INDArray[layers];
    for (int l = 0; l < layers; l++) {
      keys[l] = Nd4j.zeros(dtype, rows, kvHeads, capacity, headDim);
      values[l] = Nd4j.zeros(dtype, rows, kvHeads, capacity, headDim);
    }
    mask = Nd4j.valueArrayOf(new long[] {rows, 1, 1, capacity}, Batch.MASKED, dtype);
  }

  public int length() {
    return length;
  }

  /** After a prefill of {@code prompts}: slots [0, T) written, the pad slots stay hidden. */
  public void prefilled(Batch prompts) {
    for (int i = 0; i < prompts.rows; i++) {
      mask.get(
              NDArrayIndex.point(i),
              NDArrayIndex.all(),
              NDArrayIndex.all(),
              NDArrayIndex.interval(prompts.offset[i], prompts.offset[i] + prompts.length[i]))
          .assign(0);
    }
    length = prompts.slots;
  }

  /** Layer l's cache slots [0, slots) as a view [B, G, slots, hd]. */
  public static INDArray slots(INDArray cache, int from, int to) {
    return cache.get(
        NDArrayIndex.all(),
        NDArrayIndex.all(),
        NDArrayIndex.interval(from, to),
        NDArrayIndex.all());
  }

  /** Writes k, v [B, G·hd] of layer l at the next slot (advance() moves past it). */
  public void write(int layer, INDArray k, INDArray v) {
    if (length >= capacity) {
      throw new IllegalStateException("KV cache full (" + capacity + " slots)");
    }
    if (CpuKernels.writeSlot(keys[layer], length, k)
        && CpuKernels.writeSlot(values[layer], length, v)) {
      return;
    }
    long b = k.size(0);
    long g = keys[layer].size(1);
    long hd = keys[layer].size(3);
    slots(keys[layer], length, length + 1).assign(k.reshape('c', b, g, 1, hd));
    slots(values[layer], length, length + 1).assign(v.reshape('c', b, g, 1, hd));
  }

  /**
   * Opens the slot being written and returns the whole mask [B, 1, 1, C]: its first length + 1
   * slots are the ones in use.
   */
  public INDArray stepMask() {
    mask.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(length))
        .assign(0);
    return mask;
  }

  public void advance() {
    length++;
  }

  @Override
  public void close() {
    for (int l = 0; l < keys.length; l++) {
      Ops.free(keys[l], values[l]);
    }
    Ops.free(mask);
  }
}
