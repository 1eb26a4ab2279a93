package org.tokenrl.algorithms;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Set;

/**
 * Registry of RL algorithms, built from an {@code algorithm { name = ..., ... }} block. Each
 * algorithm is one class with a {@code static RlAlgorithm create(Config block)} and one
 * configs/algorithm/&lt;name&gt;.conf documenting every key; adding one means one line below.
 */
public final class Algorithms {
  private Algorithms() {}

  /** Keys every algorithm accepts (objective and trainer loop), with the TRL-HEAD defaults. */
  static final Config COMMON_DEFAULTS =
      ConfigFactory.parseString(
          """
          clip_eps_low = 0.2
          clip_eps_high = 0.2
          dual_clip_c = 0
          kl_beta = 0.0
          kl_estimator = k3
          loss_agg = token-mean
          seq_mean_rows = all
          updates_per_batch = 1
          mask_truncated = false
          """);

  /** Keys that select an algorithm rather than configure it. */
  static final Set<String> NAME_KEYS = Set.of("name");

  /** Builds an algorithm from a raw block (defaults are filled in by the algorithm). */
  @FunctionalInterface
  interface Factory {
    RlAlgorithm create(Config block);
  }

  private static final Registry<Factory> REGISTRY =
      new Registry<Factory>("algorithm")
          .register("grpo", Grpo::create)
          .register("tempo", Tempo::create)
          .register("d3s", D3s::create);

  /**
   * Builds the algorithm named by {@code block.name}.
   *
   * @throws IllegalArgumentException for an unknown name (listing the valid ones), an unknown key
   *     or a bad value (naming the key)
   */
  public static RlAlgorithm create(Config algorithmBlock) {
    if (!algorithmBlock.hasPath("name")) {
      throw new IllegalArgumentException(
          "algorithm block needs a name; valid names: " + String.join(", ", names()));
    }
    return REGISTRY.get(algorithmBlock.getString("name")).create(algorithmBlock);
  }

  /** Parses {@code name = ..., key = value} HOCON text and builds the algorithm. */
  public static RlAlgorithm create(String hocon) {
    return create(ConfigFactory.parseString(hocon));
  }

  public static Set<String> names() {
    return REGISTRY.names();
  }

  /** Reads the common keys of a resolved block and wraps {@code credit} as they ask. */
  static RlAlgorithm assemble(
      String name, Config c, CreditAssigner credit, boolean needsEntropies) {
    int updates = c.getInt("updates_per_batch");
    if (updates < 1) {
      throw new IllegalArgumentException(
          "algorithm.updates_per_batch must be >= 1, got " + updates);
    }
    CreditAssigner wrapped = c.getBoolean("mask_truncated") ? new TruncationMask(credit) : credit;
    return new RlAlgorithm(
        name,
        wrapped,
        new ClippedPolicyObjective(ClippedPolicyObjective.Options.from(c)),
        updates,
        needsEntropies,
        Settings.with(c, "name", name));
  }
}
