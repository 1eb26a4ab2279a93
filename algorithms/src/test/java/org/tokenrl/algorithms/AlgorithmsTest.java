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

  @Test
  void registryHoldsTheThreeAlgorithms() {
    assertEquals(Set.of("grpo", "tempo", "d3s"), Algorithms.names());
  }

  @Test
  void unknownNameListsTheValidOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Algorithms.create("name = gpro"));
    assertTrue(
        e.getMessage().contains("gpro") && e.getMessage().contains("d3s, grpo, tempo"),
        e.getMessage());
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
    RlAlgorithm a =
        Algorithms.create(
            "name = grpo, kl_beta = 0.04, kl_estimator = k2, loss_agg = dr-grpo, updates_per_batch"
                + " = 2");
    assertTrue(a.needsReference());
    assertEquals(KlEstimator.K2, a.objective().options().klEstimator());
    assertEquals(LossAggregation.DR_GRPO, a.objective().options().lossAgg());
    assertEquals(2, a.updatesPerBatch());
    assertFalse(a.needsEntropies());
  }

  @Test
  void configFilesDocumentExactlyTheDefaults() {
    for (String name : Algorithms.names()) {
      Config file = fileBlock(name);
      RlAlgorithm fromFile = Algorithms.create(file);
      RlAlgorithm fromName = Algorithms.create("name = " + name);
      assertEquals(
          fromName.settings().root().unwrapped(), fromFile.settings().root().unwrapped(), name);
      Set<String> documented = new TreeSet<>(file.root().keySet());
      Set<String> expected =
          new TreeSet<>(
              name.equals("d3s")
                  ? D3s.DEFAULTS.root().keySet()
                  : fromName.settings().root().keySet());
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
