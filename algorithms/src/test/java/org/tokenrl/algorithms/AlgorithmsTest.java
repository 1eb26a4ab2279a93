package org.tokenrl.algorithms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.preference.Dpo;
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.algorithms.preference.Treg;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.KlEstimator;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.LossAggregation;
import org.tokenrl.algorithms.rl.D3s;
import org.tokenrl.algorithms.rl.Grpo;
import org.tokenrl.algorithms.rl.RlBatch;
import org.tokenrl.algorithms.sft.SupervisedAlgorithm;

/** The registry, strict config reading, and configs/algorithm/*.conf matching the code defaults. */
class AlgorithmsTest {

  private static Path configDir() {
    return Path.of(System.getProperty("tokenrl.root", "..")).resolve("configs/algorithm");
  }

  private static Config fileBlock(String name) {
    Path file = configDir().resolve(name + ".conf");
    assertTrue(Files.exists(file), "every algorithm documents its keys in " + file);
    // A group file holds the block's keys; the config loader adds name = <file name>.
    return ConfigFactory.parseFile(file.toFile())
        .withValue("name", com.typesafe.config.ConfigValueFactory.fromAnyRef(name));
  }

  /** The resolved settings of a block, built by the factory of its kind. */
  private static Config settings(Config block) {
    String name = block.getString("name");
    return switch (Algorithms.kind(name)) {
      case RL -> Algorithms.create(block).settings();
      case PREFERENCE -> Algorithms.createPreference(block).settings();
      case SUPERVISED -> Algorithms.createSupervised(block).settings();
    };
  }

  @Test
  void registryHoldsEveryAlgorithmWithItsKind() {
    assertEquals(
        Set.of(
            "grpo",
            "tempo",
            "d3s",
            "gspo",
            "rloo",
            "reinforce_pp",
            "reinforce_pp_baseline",
            "dpo",
            "treg",
            "cdpo",
            "sft",
            "otr"),
        Algorithms.names());
    assertEquals(
        Set.of("grpo", "tempo", "d3s", "gspo", "rloo", "reinforce_pp", "reinforce_pp_baseline"),
        Algorithms.names(AlgorithmKind.RL));
    assertEquals(Set.of("dpo", "treg", "cdpo"), Algorithms.names(AlgorithmKind.PREFERENCE));
    assertEquals(Set.of("sft", "otr"), Algorithms.names(AlgorithmKind.SUPERVISED));
    assertEquals(AlgorithmKind.SUPERVISED, Algorithms.kind("otr"));
    assertEquals(AlgorithmKind.PREFERENCE, Algorithms.kind("cdpo"));
    assertEquals(AlgorithmKind.RL, Algorithms.kind("d3s"));
  }

  @Test
  void unknownNameListsTheValidOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Algorithms.create("name = gpro"));
    assertTrue(
        e.getMessage().contains("gpro")
            && e.getMessage()
                .contains(
                    "cdpo, d3s, dpo, grpo, gspo, otr, reinforce_pp, reinforce_pp_baseline, rloo,"
                        + " sft, tempo, treg"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Algorithms.kind("ppo"));
  }

  @Test
  void aNameOfAnotherKindNamesTheRightFactory() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Algorithms.create("name = dpo"));
    assertTrue(e.getMessage().contains("createPreference"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Algorithms.createPreference("name = otr"));
    assertTrue(e.getMessage().contains("createSupervised"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Algorithms.createSupervised("name = grpo"));
    assertTrue(e.getMessage().contains("Algorithms.create"), e.getMessage());
  }

  @Test
  void preferenceAndSupervisedSettingsReachTheLosses() {
    PreferenceAlgorithm dpo =
        Algorithms.createPreference("name = dpo, loss = robust, label_smoothing = 0.2");
    assertEquals(Dpo.Variant.ROBUST, ((Dpo) dpo.objective()).options().loss());
    assertFalse(dpo.needsTokenRewards() || dpo.needsCriticalWeights());
    PreferenceAlgorithm treg = Algorithms.createPreference("name = treg, alpha = 0.5");
    assertTrue(treg.needsTokenRewards());
    assertEquals(0.5, ((Treg) treg.objective()).options().alpha());
    assertEquals("good:{prompt}", treg.settings().getString("better_template"));
    PreferenceAlgorithm cdpo = Algorithms.createPreference("name = cdpo, form = per-position");
    assertTrue(cdpo.needsCriticalWeights() && cdpo.needsPromptLengths());
    assertEquals(0.5, cdpo.settings().getDouble("negative_coverage"));
    SupervisedAlgorithm otr = Algorithms.createSupervised("name = otr, k = 8");
    assertEquals(8, otr.oneTokenRollout().options().k());
    assertEquals(null, Algorithms.createSupervised("name = sft").oneTokenRollout());
    IllegalArgumentException typo =
        assertThrows(
            IllegalArgumentException.class,
            () -> Algorithms.createPreference("name = dpo, bta = 1"));
    assertTrue(typo.getMessage().contains("bta") && typo.getMessage().contains("beta"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Algorithms.createPreference("name = treg, better_template = good"));
    assertThrows(
        IllegalArgumentException.class, () -> Algorithms.createSupervised("name = otr, beta = 1"));
    assertThrows(
        IllegalArgumentException.class, () -> Algorithms.createSupervised("name = sft, k = 1"));
  }

  @Test
  void duplicateRegistrationFails() {
    Registry<String> r = new Registry<String>("thing").register("a", "x");
    assertThrows(IllegalStateException.class, () -> r.register("a", "y"));
  }

  @Test
  void unknownKeyAndBadValueNameTheKey() {
    IllegalArgumentException typo =
        assertThrows(
            IllegalArgumentException.class, () -> Algorithms.create("name = grpo, clip_eps = 0.3"));
    assertTrue(
        typo.getMessage().contains("clip_eps") && typo.getMessage().contains("clip_eps_low"),
        typo.getMessage());
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () -> Algorithms.create("name = grpo, loss_agg = mean"));
    assertTrue(
        bad.getMessage().contains("token-mean|seq-mean-token-mean|dr-grpo"), bad.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> Algorithms.create("name = grpo, dual_clip_c = 0.5"));
    IllegalArgumentException d3s =
        assertThrows(
            IllegalArgumentException.class,
            () -> Algorithms.create("name = d3s, base = tempo, k_int = 0.1"));
    assertTrue(
        d3s.getMessage().contains("k_int") && d3s.getMessage().contains("k_init"),
        d3s.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Algorithms.create("name = d3s, base = d3s"));
  }

  @Test
  void overridesReachTheObjectiveAndTheLoop() {
    Grpo a =
        (Grpo)
            Algorithms.create(
                "name = grpo, kl_beta = 0.04, kl_estimator = k2, loss_agg = dr-grpo,"
                    + " updates_per_batch = 2");
    assertTrue(a.needsReference());
    assertEquals(KlEstimator.K2, a.objective().options().klEstimator());
    assertEquals(LossAggregation.DR_GRPO, a.objective().options().lossAgg());
    assertEquals(2, a.updatesPerBatch());
    // GRPO reads no entropies: a batch without them is fine
    assertEquals(
        2, a.credit(RlBatch.of(new double[] {1, 0}, new int[][] {{1}, {2}}, 2)).keep().length);
  }

  @Test
  void configFilesDocumentExactlyTheDefaults() {
    for (String name : Algorithms.names()) {
      Config file = fileBlock(name);
      Config fromFile = settings(file);
      Config fromName = settings(ConfigFactory.parseString("name = " + name));
      assertEquals(fromName.root().unwrapped(), fromFile.root().unwrapped(), name);
      Set<String> documented = new TreeSet<>(file.root().keySet());
      Set<String> expected =
          new TreeSet<>(
              name.equals("d3s") ? D3s.DEFAULTS.root().keySet() : fromName.root().keySet());
      expected.add("name");
      assertEquals(expected, documented, name + ".conf must list every key");
      for (String key : documented) {
        if (!key.equals("name")) {
          assertFalse(
              file.root().get(key).origin().comments().isEmpty(), name + ".conf: comment " + key);
        }
      }
    }
  }
}
