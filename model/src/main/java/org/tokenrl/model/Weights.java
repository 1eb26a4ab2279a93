package org.tokenrl.model;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.arch.Transformer;
import org.tokenrl.model.nn.LoraAdapter;
import org.tokenrl.model.nn.Ops;
import org.tokenrl.model.nn.Tensors;

/**
 * A model's parameters as float copies and back: export, import (whole, base only, adapters only)
 * and the LoRA merge. Float maps are keyed by parameter name in model order.
 */
final class Weights {
  private Weights() {}

  /**
   * The LoRA adapters' live arrays: {@code <module>.lora_A.weight} [r, in] and {@code
   * <module>.lora_B.weight} [out, r] in model order (empty without LoRA).
   */
  static LinkedHashMap<String, INDArray> adapters(Transformer model) {
    LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
    for (LoraAdapter a : model.adapters()) {
      out.put(a.module + ".lora_A.weight", a.a());
      out.put(a.module + ".lora_B.weight", a.b());
    }
    return out;
  }

  /** Float copies of {@code arrays}, same names and order. */
  static LinkedHashMap<String, float[]> floats(Map<String, INDArray> arrays) {
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    arrays.forEach((name, arr) -> out.put(name, Tensors.toFloats(arr)));
    return out;
  }

  /**
   * The weights with every adapter merged in, W + (alpha/r)·B·A, under the base names and shapes
   * (what an HF export writes); every weight as it is without LoRA.
   */
  static LinkedHashMap<String, float[]> merged(Transformer model) {
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    Map<String, INDArray> adapters = adapters(model);
    Map<String, LoraAdapter> byWeight = new HashMap<>();
    for (LoraAdapter a : model.adapters()) {
      byWeight.put(a.module + ".weight", a); // llama: HF's <module>.weight
      byWeight.put(a.module, a); // gpt: the weight's name is the module path
    }
    model
        .params()
        .values
        .forEach(
            (name, arr) -> {
              if (adapters.containsKey(name)) {
                return;
              }
              LoraAdapter a = byWeight.get(name);
              if (a == null) {
                out.put(name, Tensors.toFloats(arr));
                return;
              }
              INDArray merged = a.target.merged(a.delta());
              out.put(name, Tensors.toFloats(merged));
              Ops.free(merged);
            });
    return out;
  }

  /**
   * Loads every parameter of {@code model} (names and sizes must match); with LoRA the base weights
   * alone, or the adapters alone, may be given (the rest keep their values).
   */
  static void load(Transformer model, boolean lora, Map<String, float[]> weights) {
    if (lora && weights.keySet().stream().allMatch(n -> n.contains(".lora_"))) {
      assignAll(adapters(model), weights, "adapters");
      return;
    }
    if (lora && weights.keySet().stream().noneMatch(n -> n.contains(".lora_"))) {
      LinkedHashMap<String, INDArray> base = new LinkedHashMap<>(model.params().values);
      base.keySet().removeAll(adapters(model).keySet());
      assignAll(base, weights, "weights");
      return;
    }
    assignAll(model.params().values, weights, "weights");
  }

  /**
   * Assigns {@code values} to {@code targets}, in place; the names must match and every size must
   * agree, checked before anything is written.
   */
  static void assignAll(Map<String, INDArray> targets, Map<String, float[]> values, String what) {
    if (!targets.keySet().equals(values.keySet())) {
      throw new IllegalArgumentException(
          what
              + " names do not match the model: expected "
              + targets.keySet()
              + ", got "
              + values.keySet());
    }
    for (Map.Entry<String, INDArray> e : targets.entrySet()) {
      float[] src = values.get(e.getKey());
      INDArray dst = e.getValue();
      if (src.length != dst.length()) {
        throw new IllegalArgumentException(
            what
                + " '"
                + e.getKey()
                + "' has "
                + src.length
                + " values, the model needs "
                + dst.length()
                + " (shape "
                + java.util.Arrays.toString(dst.shape())
                + ")");
      }
    }
    for (Map.Entry<String, INDArray> e : targets.entrySet()) {
      INDArray dst = e.getValue();
      INDArray src = Tensors.array(values.get(e.getKey()), dst.dataType(), dst.shape());
      dst.assign(src);
      Ops.free(src);
    }
  }
}
