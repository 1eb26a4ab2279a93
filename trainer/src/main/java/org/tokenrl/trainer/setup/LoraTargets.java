package org.tokenrl.trainer.setup;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.ConfigException;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.arch.ModelSpec;

/**
 * {@code model.lora} against the model it adapts, before the run directory exists: every target
 * must name a linear layer of the model (a typo otherwise trains nothing, or fails only once the
 * model is built), and the rank must be in 1..min(in, out) of each targeted layer (a larger rank
 * adds parameters without adding rank: B·A cannot exceed min(in, out)).
 */
final class LoraTargets {
  private LoraTargets() {}

  /** A linear layer's module name (its last path segment) and shape, the same in every block. */
  record Layer(String name, long in, long out) {}

  /** The linear layers of one block of {@code shape}, as the model names them. */
  static List<Layer> layers(ModelSpec shape) {
    List<Layer> out = new ArrayList<>();
    if (shape instanceof GptConfig g) {
      long d = g.dModel();
      out.add(new Layer("wq", d, d));
      out.add(new Layer("wk", d, d));
      out.add(new Layer("wv", d, d));
      out.add(new Layer("wo", d, d));
      out.add(new Layer("w1", d, g.dFF()));
      out.add(new Layer("w2", g.dFF(), d));
    } else if (shape instanceof LlamaConfig l) {
      long h = l.hiddenSize();
      long q = (long) l.numAttentionHeads() * l.headDim();
      long kv = (long) l.numKeyValueHeads() * l.headDim();
      out.add(new Layer("q_proj", h, q));
      out.add(new Layer("k_proj", h, kv));
      out.add(new Layer("v_proj", h, kv));
      out.add(new Layer("o_proj", q, h));
      out.add(new Layer("gate_proj", h, l.intermediateSize()));
      out.add(new Layer("up_proj", h, l.intermediateSize()));
      out.add(new Layer("down_proj", l.intermediateSize(), h));
    }
    return out;
  }

  /**
   * Checks {@code lora} (disabled: nothing to check) against {@code shape}.
   *
   * @throws ConfigException naming model.lora.targets or model.lora.rank and the valid values
   */
  static void check(LoraConfig lora, ModelSpec shape) {
    if (!lora.enabled()) {
      return;
    }
    Map<String, Layer> byName = new LinkedHashMap<>();
    layers(shape).forEach(l -> byName.put(l.name(), l));
    List<String> unknown = lora.targets().stream().filter(t -> !byName.containsKey(t)).toList();
    if (!unknown.isEmpty()) {
      throw new ConfigException(
          "config error: model.lora.targets "
              + unknown
              + (unknown.size() == 1 ? " is not a linear layer" : " are not linear layers")
              + " of this "
              + shape.arch()
              + " model; its linear layers are "
              + byName.keySet());
    }
    Layer narrowest = null;
    for (String t : lora.targets()) {
      Layer l = byName.get(t);
      if (narrowest == null || Math.min(l.in(), l.out()) < narrowest.in()) {
        narrowest = new Layer(l.name(), Math.min(l.in(), l.out()), Math.max(l.in(), l.out()));
      }
    }
    if (lora.rank() > narrowest.in()) {
      Layer l = byName.get(narrowest.name());
      throw new ConfigException(
          "config error: model.lora.rank = "
              + lora.rank()
              + " is larger than the targeted layer "
              + l.name()
              + " ["
              + l.in()
              + " -> "
              + l.out()
              + "] allows: a rank is at most min(in, out); use model.lora.rank in 1.."
              + narrowest.in());
    }
  }
}
