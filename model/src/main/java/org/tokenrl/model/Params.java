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

  public Params(DataType dtype) {
    this(dtype, true);
  }

  /**
   * @param random false: {@link #gaussian} gives zeros, for a model whose weights are loaded next
   *     (drawing 134M normals only to overwrite them costs seconds)
   */
  public Params(DataType dtype, boolean random) {
    this.dtype = dtype;
    this.random = random;
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
    return add(name, Nd4j.valueArrayOf(shape, value, dtype));
  }

  private INDArray add(String name, INDArray value) {
    values.put(name, value);
    grads.put(name, Nd4j.zeros(dtype, value.shape()));
    return value;
  }

  /**
   * Freezes every parameter added so far (LoRA's base): their gradient buffers are dropped, so no
   * gradient is computed or stored for them, and {@link #trainable()} leaves them out. Call before
   * the layers are built (they read {@link #grad} once, and null means frozen).
   */
  public void freezeAll() {
    grads.values().forEach(Ops::free);
    grads.clear();
  }

  /** The parameters that train (all, unless {@link #freezeAll} was called before adapters). */
  LinkedHashMap<String, INDArray> trainable() {
    LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
    grads.keySet().forEach(name -> out.put(name, values.get(name)));
    return out;
  }

  /** Adds a parameter with the given values (adapter matrices). */
  public INDArray put(String name, INDArray value) {
    return add(name, value);
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
    values.values().forEach(Ops::free);
    grads.values().forEach(Ops::free);
  }
}
