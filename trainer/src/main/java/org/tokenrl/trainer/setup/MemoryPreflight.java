package org.tokenrl.trainer.setup;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bytedeco.javacpp.Pointer;
import org.tokenrl.core.ConfigException;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.arch.ModelSpec;

/**
 * Before any work, whether the run can fit in memory at all: a lower bound of its peak ND4J
 * (off-heap) memory from the config, against the launcher's cap ({@code TOKENRL_NATIVE}, ND4J's
 * {@code maxbytes}) and the machine's RAM, and the Java heap a pretrained model's weights pass
 * through while loading against {@code TOKENRL_HEAP}. A run that cannot fit is refused in one line
 * naming the config keys of its largest parts, instead of growing for minutes (after an SFT
 * warm-up) until an OutOfMemoryError or the machine swaps.
 *
 * <p>The parts, in float32 (4 bytes a value), each a lower bound of what the engine holds:
 *
 * <ul>
 *   <li>weights × copies: the policy, one sampler copy per in-process rollout worker ({@code
 *       rollout.workers}, RL with the local backend) and a frozen KL reference (non-LoRA);
 *   <li>gradients and AdamW's two moments of the trainable weights (the adapters under LoRA);
 *   <li>activations of one training pass: min({@code trainer.micro_batch_tokens}, rows of one
 *       update × T) tokens × (per layer 4·d + 2·d_ff + heads·T values kept for the backward pass,
 *       plus one vocabulary row of logits), T the longest row;
 *   <li>the sampler's KV cache: {@code trainer.prompts_per_step × trainer.group_size} rows × 2 ×
 *       layers × kv_heads × head_dim × (prompt + {@code rollout.max_new_tokens}) positions, plus a
 *       row of logits each.
 * </ul>
 *
 * Sampling and training alternate, so the peak is the resident part plus the larger of the two
 * (both with {@code distributed.async}). The bound is deliberately low (it leaves out temporaries
 * and fragmentation): it refuses runs that certainly cannot fit, never one that might.
 */
final class MemoryPreflight {
  private static final double GB = 1024.0 * 1024 * 1024;
  private static final long FLOAT = 4;

  /** What the estimate is made from (every count as the config gives it). */
  record Inputs(
      ModelSpec shape,
      LoraConfig lora,
      boolean pretrained,
      boolean rl,
      boolean needsReference,
      boolean localSampling,
      int workers,
      long sampledRows,
      int longestRow,
      long rowsPerUpdate,
      int microBatchTokens,
      boolean async) {}

  /** One part of the peak: its bytes, what it is, and the keys that shrink it. */
  record Part(String what, double bytes, List<String> keys) {}

  /** The parts of the peak and its total. */
  record Estimate(List<Part> parts, double peakBytes, double heapBytes) {}

  /** The machine's and the JVM's limits, in bytes (0 = unknown, not checked). */
  record Limits(double nativeCap, double machine, double heap) {
    static Limits ofThisJvm() {
      return new Limits(
          Pointer.maxBytes(), Pointer.totalPhysicalBytes(), Runtime.getRuntime().maxMemory());
    }
  }

  private MemoryPreflight() {}

  static Estimate estimate(Inputs in) {
    Shape s = Shape.of(in.shape());
    double weights = (double) in.shape().parameterCount() * FLOAT;
    int copies = 1;
    List<String> copyKeys = new ArrayList<>(sizeKeys(in));
    if (in.rl() && in.localSampling()) {
      copies += in.workers();
      copyKeys.add("rollout.workers");
    }
    if (in.rl() && in.needsReference() && !in.lora().enabled()) {
      copies += 1;
    }
    double trainable = in.lora().enabled() ? loraParameters(in.lora(), in.shape(), s) : weights;
    double optimizer = 3 * (in.lora().enabled() ? trainable * FLOAT : trainable);
    // What the backward pass cannot do without, per layer: the inputs of the attention and MLP
    // linears (4·d), the MLP's gate and up outputs (2·d_ff) and one row of attention weights per
    // head; plus one row of logits. A pass holds min(budget, rows × longest row) tokens.
    double perToken =
        FLOAT * (s.layers * (4.0 * s.width + 2.0 * s.ff + s.heads * in.longestRow()) + s.vocab);
    double passTokens =
        Math.min(in.microBatchTokens(), (double) in.rowsPerUpdate() * in.longestRow());
    double activations = passTokens * perToken;
    double rows = in.rl() ? in.sampledRows() : 0;
    double kv = rows * FLOAT * (2.0 * s.layers * s.kvWidth * in.longestRow() + s.vocab);

    List<Part> parts = new ArrayList<>();
    parts.add(
        new Part(
            String.format(Locale.ROOT, "weights %s x %d copies", gb(weights), copies),
            weights * copies,
            copyKeys));
    parts.add(new Part("gradients and AdamW moments " + gb(optimizer), optimizer, lora(in)));
    parts.add(
        new Part(
            String.format(
                Locale.ROOT,
                "activations %s for trainer.micro_batch_tokens = %d",
                gb(activations),
                in.microBatchTokens()),
            activations,
            List.of("trainer.micro_batch_tokens")));
    if (in.rl()) {
      parts.add(
          new Part(
              String.format(
                  Locale.ROOT,
                  "KV cache %s for %,.0f sampled rows (trainer.prompts_per_step x"
                      + " trainer.group_size) of %d positions",
                  gb(kv),
                  rows,
                  in.longestRow()),
              kv,
              List.of("trainer.group_size", "trainer.prompts_per_step", "rollout.max_new_tokens")));
    }
    double resident = weights * copies + optimizer;
    double peak = resident + (in.async() ? activations + kv : Math.max(activations, kv));
    // A pretrained model's weights pass through the Java heap as float arrays while loading.
    double heap = in.pretrained() ? weights : 0;
    return new Estimate(parts, peak, heap);
  }

  /**
   * Refuses a run whose estimate exceeds a limit, in one line naming the parts and the keys of the
   * largest.
   *
   * @throws ConfigException e.g. {@code memory: this run needs at least 23.1 GB ...}
   */
  static void check(Inputs in, Limits limits) {
    if (in.sampledRows() > Integer.MAX_VALUE) {
      throw new ConfigException(
          String.format(
              Locale.ROOT,
              "config error: trainer.prompts_per_step x trainer.group_size = %,d sampled rows per"
                  + " step is more than one batch can hold; lower them",
              in.sampledRows()));
    }
    Estimate e = estimate(in);
    if (limits.heap() > 0 && e.heapBytes() > limits.heap()) {
      throw new ConfigException(
          "memory: loading model.path passes its weights ("
              + gb(e.heapBytes())
              + ") through the Java heap, but the heap may hold only "
              + gb(limits.heap())
              + "; raise TOKENRL_HEAP (e.g. TOKENRL_HEAP="
              + (long) Math.ceil(e.heapBytes() * 1.5 / GB + 1)
              + "g ./tokenrl ...) or choose a smaller model");
    }
    String limit = null;
    double cap = 0;
    if (limits.nativeCap() > 0 && e.peakBytes() > limits.nativeCap()) {
      limit = "ND4J may use " + gb(limits.nativeCap()) + " (TOKENRL_NATIVE)";
      cap = limits.nativeCap();
    } else if (limits.machine() > 0 && e.peakBytes() > limits.machine()) {
      limit = "the machine has " + gb(limits.machine()) + " of RAM";
      cap = limits.machine();
    }
    if (limit == null) {
      return;
    }
    List<Part> largest = new ArrayList<>(e.parts());
    largest.sort(Comparator.comparingDouble(Part::bytes).reversed());
    Set<String> keys = new LinkedHashSet<>();
    for (Part p : largest) {
      if (p.bytes() >= 0.25 * cap || keys.isEmpty()) {
        keys.addAll(p.keys());
      }
    }
    throw new ConfigException(
        "memory: this run needs at least "
            + gb(e.peakBytes())
            + " at its peak ("
            + String.join(", ", e.parts().stream().map(Part::what).toList())
            + ") but "
            + limit
            + "; lower "
            + String.join(", ", keys));
  }

  private static List<String> lora(Inputs in) {
    return in.lora().enabled() ? List.of("model.lora.rank") : List.of("LoRA (model.lora.rank > 0)");
  }

  /** The keys that make the model smaller, as the run's model block names them. */
  private static List<String> sizeKeys(Inputs in) {
    if (in.pretrained()) {
      return List.of("model.path (a smaller model)");
    }
    if (in.shape() instanceof GptConfig) {
      return List.of("model.d_model", "model.layers", "model.d_ff", "model.max_seq_len");
    }
    return List.of(
        "model.hidden_size",
        "model.num_hidden_layers",
        "model.intermediate_size",
        "model.vocab_size");
  }

  /** Adapter values: rank × (in + out) for each targeted linear of every block. */
  private static double loraParameters(LoraConfig lora, ModelSpec shape, Shape s) {
    double perBlock = 0;
    for (LoraTargets.Layer l : LoraTargets.layers(shape)) {
      if (lora.targets().contains(l.name())) {
        perBlock += (double) lora.rank() * (l.in() + l.out());
      }
    }
    return perBlock * s.layers;
  }

  private static String gb(double bytes) {
    return bytes >= 0.1 * GB
        ? String.format(Locale.ROOT, "%.1f GB", bytes / GB)
        : String.format(Locale.ROOT, "%.0f MB", bytes / (1024 * 1024));
  }

  /** The sizes the estimate needs, for either architecture. */
  private record Shape(
      double layers, double width, double ff, double heads, double kvWidth, double vocab) {
    static Shape of(ModelSpec spec) {
      if (spec instanceof GptConfig g) {
        return new Shape(g.layers(), g.dModel(), g.dFF(), g.heads(), g.dModel(), g.vocabSize());
      }
      LlamaConfig l = (LlamaConfig) spec;
      return new Shape(
          l.numHiddenLayers(),
          l.hiddenSize(),
          l.intermediateSize(),
          l.numAttentionHeads(),
          (double) l.numKeyValueHeads() * l.headDim(),
          l.vocabSize());
    }
  }
}
