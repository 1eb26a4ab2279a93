package org.tokenrl.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.model.nn.Ops;
import org.tokenrl.model.nn.Tensors;

/**
 * A model's trainable arrays by name, each with a gradient buffer of the same shape. Arrays are
 * stored in the layout their exported name promises (row-major, HF's [out, in] for llama linears),
 * and only ever changed in place, so every layer holding a reference sees updates at once.
 */
public final class Params implements AutoCloseable {
  public final DataType dtype;
  final LinkedHashMap<String, INDArray> values = new LinkedHashMap<>();
  final LinkedHashMap<String, INDArray> grads = new LinkedHashMap<>();
  private final boolean random;
  private final Params shareFrom;
  // Arrays two models hold (a LoRA sampler's frozen base): neither frees them, the GC does.
  private final java.util.Set<String> shared = new java.util.HashSet<>();
  private boolean frozen;

  public Params(DataType dtype) {
    this(dtype, true);
  }

  /**
   * @param random false: {@link #gaussian} gives zeros, for a model whose weights are loaded next
   *     (drawing 134M normals only to overwrite them costs seconds)
   */
  public Params(DataType dtype, boolean random) {
    this(dtype, random, null);
  }

  /**
   * @param shareFrom non-null: every parameter {@code shareFrom} holds under the same name and
   *     shape is that very array, not a copy (a LoRA sampler reads its trainer's frozen base: one
   *     set of base weights in memory for both). Call {@link #freezeAll} first: only frozen
   *     parameters may be shared, as nothing ever writes them.
   */
  public Params(DataType dtype, boolean random, Params shareFrom) {
    this.dtype = dtype;
    this.random = random;
    this.shareFrom = shareFrom;
  }

  public INDArray get(String name) {
    INDArray p = values.get(name);
    if (p == null) {
      throw new IllegalStateException("no parameter " + name);
    }
    return p;
  }

  public INDArray grad(String name) {
    return grads.get(name);
  }

  /**
   * Normal(0, std) values drawn from {@code rng}: the same seed gives the same weights anywhere.
   */
  public INDArray gaussian(String name, Random rng, double std, long... shape) {
    INDArray borrowed = borrow(name, shape);
    if (borrowed != null) {
      return borrowed;
    }
    if (!random) {
      return add(name, Nd4j.zeros(dtype, shape));
    }
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    float[] values = new float[Math.toIntExact(n)];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (std * rng.nextGaussian());
    }
    return add(name, Tensors.array(values, dtype, shape));
  }

  public INDArray constant(String name, double value, long... shape) {
    INDArray borrowed = borrow(name, shape);
    if (borrowed != null) {
      return borrowed;
    }
    return add(name, Nd4j.valueArrayOf(shape, value, dtype));
  }

  /** {@code shareFrom}'s frozen array of that name and shape, now also this model's; or null. */
  private INDArray borrow(String name, long[] shape) {
    if (shareFrom == null || !frozen) {
      return null;
    }
    INDArray a = shareFrom.values.get(name);
    if (a == null
        || shareFrom.grads.containsKey(name)
        || !java.util.Arrays.equals(a.shape(), shape)) {
      return null;
    }
    values.put(name, a);
    shared.add(name);
    shareFrom.shared.add(name);
    return a;
  }

  /** A parameter; it gets a gradient buffer unless the model is frozen ({@link #freezeAll}). */
  private INDArray add(String name, INDArray value) {
    values.put(name, value);
    if (!frozen) {
      grads.put(name, Nd4j.zeros(dtype, value.shape()));
    }
    return value;
  }

  /**
   * Freezes every parameter added so far and every one {@link #gaussian} or {@link #constant} adds
   * later (LoRA's base): they get no gradient buffer, so no gradient is computed or stored for
   * them, and {@link #trainable()} leaves them out; {@link #put} (the adapters) still gets one.
   * Call before the layers are built (they read {@link #grad} once, and null means frozen), best
   * before the weights are created (no buffers allocated only to be dropped).
   */
  public void freezeAll() {
    grads.values().forEach(Ops::free);
    grads.clear();
    frozen = true;
  }

  /** The parameters that train (all, unless {@link #freezeAll} was called before adapters). */
  LinkedHashMap<String, INDArray> trainable() {
    LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
    grads.keySet().forEach(name -> out.put(name, values.get(name)));
    return out;
  }

  /** Adds a trainable parameter with the given values (adapter matrices), with its gradient. */
  public INDArray put(String name, INDArray value) {
    values.put(name, value);
    grads.put(name, Nd4j.zeros(dtype, value.shape()));
    return value;
  }

  /** Matrices (linear weights, embeddings) get weight decay; gains and biases do not. */
  boolean decays(String name) {
    return values.get(name).rank() == 2;
  }

  public void zeroGrads() {
    grads.values().forEach(g -> g.assign(0));
  }

  Map<String, long[]> shapes() {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    values.forEach((name, arr) -> shapes.put(name, arr.shape()));
    return shapes;
  }

  @Override
  public void close() {
    values.forEach(
        (name, value) -> {
          if (!shared.contains(name)) {
            Ops.free(value);
          }
        });
    grads.values().forEach(Ops::free);
  }
}
