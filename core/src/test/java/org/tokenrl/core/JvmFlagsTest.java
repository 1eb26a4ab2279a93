package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The flag list the launcher and Ray workers read is the one the pom gives test JVMs. */
class JvmFlagsTest {
  @Test
  void theGeneratedListIsTheFlagsThisTestJvmRunsWith() {
    List<String> flags = JvmFlags.required();
    assertTrue(flags.contains("--add-opens=java.base/java.nio=ALL-UNNAMED"), flags.toString());
    assertTrue(flags.stream().noneMatch(f -> f.contains("${")), "unfiltered: " + flags);
    List<String> running = ManagementFactory.getRuntimeMXBean().getInputArguments();
    for (String flag : flags) {
      assertTrue(running.contains(flag), flag + " is not among this JVM's flags " + running);
    }
  }
}
