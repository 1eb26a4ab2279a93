package org.tokenrl.algorithms;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Locale;
import java.util.Set;
import org.tokenrl.algorithms.preference.Cdpo;
import org.tokenrl.algorithms.preference.Dpo;
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.algorithms.preference.Treg;
import org.tokenrl.algorithms.rl.D3s;
import org.tokenrl.algorithms.rl.Grpo;
import org.tokenrl.algorithms.rl.Gspo;
import org.tokenrl.algorithms.rl.ReinforcePp;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.rl.Rloo;
import org.tokenrl.algorithms.rl.Tempo;
import org.tokenrl.algorithms.sft.Otr;
import org.tokenrl.algorithms.sft.SupervisedAlgorithm;
import org.tokenrl.core.StrictSettings;

/**
 * Registry of algorithms, built from an {@code algorithm { name = ..., ... }} block. Each algorithm
 * is one class with a static {@code create(Config block)} and one
 * configs/algorithm/&lt;name&gt;.conf documenting every key; adding one means one line below. There
 * are three kinds ({@link AlgorithmKind}), each with its own factory because each needs a different
 * trainer loop: ask {@link #kind} first, then call {@link #create} (RL), {@link #createPreference}
 * or {@link #createSupervised}.
 */
public final class Algorithms {
  private Algorithms() {}

  /** Reads algorithm blocks strictly; errors name keys as {@code algorithm.<key>}. */
  public static final StrictSettings SETTINGS = new StrictSettings("algorithm", "algorithm.");

  /** Keys that select an algorithm rather than configure it. */
  public static final Set<String> NAME_KEYS = Set.of("name");

  /** Builds an algorithm from a raw block (defaults are filled in by the algorithm). */
  @FunctionalInterface
  interface Factory<A> {
    A create(Config block);
  }

  private static final Registry<Factory<RlAlgorithm>> RL =
      new Registry<Factory<RlAlgorithm>>("RL algorithm")
          .register("grpo", Grpo::create)
          .register("tempo", Tempo::create)
          .register("d3s", D3s::create)
          .register("gspo", Gspo::create)
          .register("rloo", Rloo::create)
          .register("reinforce_pp", ReinforcePp::create)
          .register("reinforce_pp_baseline", ReinforcePp::createBaseline);

  private static final Registry<Factory<PreferenceAlgorithm>> PREFERENCE =
      new Registry<Factory<PreferenceAlgorithm>>("preference algorithm")
          .register("dpo", Dpo::create)
          .register("treg", Treg::create)
          .register("cdpo", Cdpo::create);

  private static final Registry<Factory<SupervisedAlgorithm>> SUPERVISED =
      new Registry<Factory<SupervisedAlgorithm>>("supervised algorithm")
          .register("sft", Algorithms::sft)
          .register("otr", Otr::create);

  /** Every name with its kind; registering a name under two kinds fails at class load. */
  private static final Registry<AlgorithmKind> KINDS = new Registry<>("algorithm");

  static {
    RL.names().forEach(n -> KINDS.register(n, AlgorithmKind.RL));
    PREFERENCE.names().forEach(n -> KINDS.register(n, AlgorithmKind.PREFERENCE));
    SUPERVISED.names().forEach(n -> KINDS.register(n, AlgorithmKind.SUPERVISED));
  }

  /**
   * The kind of the algorithm called {@code name}.
   *
   * @throws IllegalArgumentException for an unknown name, listing every valid one
   */
  public static AlgorithmKind kind(String name) {
    return KINDS.get(name);
  }

  /**
   * Builds the RL algorithm named by {@code block.name}.
   *
   * @throws IllegalArgumentException for an unknown name (listing the valid ones), a name of
   *     another kind (naming the factory to use), an unknown key or a bad value (naming the key)
   */
  public static RlAlgorithm create(Config algorithmBlock) {
    return RL.get(name(algorithmBlock, AlgorithmKind.RL)).create(algorithmBlock);
  }

  /** Parses {@code name = ..., key = value} HOCON text and builds the RL algorithm. */
  public static RlAlgorithm create(String hocon) {
    return create(ConfigFactory.parseString(hocon));
  }

  /** Builds the preference algorithm (dpo, treg, cdpo) named by {@code block.name}. */
  public static PreferenceAlgorithm createPreference(Config algorithmBlock) {
    return PREFERENCE.get(name(algorithmBlock, AlgorithmKind.PREFERENCE)).create(algorithmBlock);
  }

  public static PreferenceAlgorithm createPreference(String hocon) {
    return createPreference(ConfigFactory.parseString(hocon));
  }

  /** Builds the supervised algorithm (sft, otr) named by {@code block.name}. */
  public static SupervisedAlgorithm createSupervised(Config algorithmBlock) {
    return SUPERVISED.get(name(algorithmBlock, AlgorithmKind.SUPERVISED)).create(algorithmBlock);
  }

  public static SupervisedAlgorithm createSupervised(String hocon) {
    return createSupervised(ConfigFactory.parseString(hocon));
  }

  /** Every algorithm name, of all kinds, sorted. */
  public static Set<String> names() {
    return KINDS.names();
  }

  /** The names of one kind, sorted. */
  public static Set<String> names(AlgorithmKind kind) {
    return switch (kind) {
      case RL -> RL.names();
      case PREFERENCE -> PREFERENCE.names();
      case SUPERVISED -> SUPERVISED.names();
    };
  }

  /** The block's name, checked to exist and to be of the kind the caller builds. */
  private static String name(Config block, AlgorithmKind expected) {
    if (!block.hasPath("name")) {
      throw new IllegalArgumentException(
          "algorithm block needs a name; valid names: " + String.join(", ", names()));
    }
    String name = block.getString("name");
    AlgorithmKind actual = kind(name);
    if (actual != expected) {
      throw new IllegalArgumentException(
          "algorithm '"
              + name
              + "' is a "
              + actual.name().toLowerCase(Locale.ROOT)
              + " algorithm, not "
              + expected.name().toLowerCase(Locale.ROOT)
              + "; build it with Algorithms."
              + switch (actual) {
                case RL -> "create";
                case PREFERENCE -> "createPreference";
                case SUPERVISED -> "createSupervised";
              });
    }
    return name;
  }

  /** Plain SFT: teacher-forced NLL of the labels; it has no keys of its own (see sft.conf). */
  private static SupervisedAlgorithm sft(Config block) {
    Config c = SETTINGS.resolve(block, ConfigFactory.empty(), NAME_KEYS, "sft");
    return new SupervisedAlgorithm("sft", null, StrictSettings.with(c, "name", "sft"));
  }
}
