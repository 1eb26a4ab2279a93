package org.tokenrl.trainer.setup;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.core.ProjectRoot;

class ConfigRangesTest {
  private static final Path CONFIGS = ProjectRoot.get().resolve("configs");

  /** A numeric key added to base.conf or a model file without a range here fails this test. */
  @Test
  void everyNumericKeyOfBaseAndModelHasARange() throws IOException {
    List<String> missing = new ArrayList<>();
    collect(ConfigFactory.parseFile(CONFIGS.resolve("base.conf").toFile()), "", missing);
    try (var files = Files.list(CONFIGS.resolve("model"))) {
      for (Path f : files.toList()) {
        collect(ConfigFactory.parseFile(f.toFile()), "model.", missing);
      }
    }
    assertTrue(missing.isEmpty(), "numeric keys without a range in ConfigRanges: " + missing);
  }

  private static void collect(Config c, String prefix, List<String> missing) {
    for (Map.Entry<String, com.typesafe.config.ConfigValue> e : c.entrySet()) {
      String key = prefix + e.getKey();
      if (e.getValue().valueType() == ConfigValueType.NUMBER
          && !ConfigRanges.RANGES.containsKey(key)) {
        missing.add(key);
      }
    }
  }

  @Test
  void theShippedConfigsAreInRange() throws IOException {
    for (String run : List.of("quickstart.conf")) {
      ConfigRanges.check(ConfigLoader.load(CONFIGS, CONFIGS.resolve(run), List.of()).config());
    }
    ConfigRanges.check(
        ConfigLoader.load(CONFIGS, CONFIGS.resolve("quickstart.conf"), List.of("model=small"))
            .config());
  }
}
