package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/metrics.md documents exactly the names {@link Metrics} declares, each once. */
class MetricsDocTest {
  private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9_]+/[a-z0-9_<>/@]+)` \\|");

  /** Names in the first column of the per-group tables (before the renames section). */
  private static Set<String> documented() throws Exception {
    String doc = Files.readString(ProjectRoot.get().resolve("docs/metrics.md"));
    String groups = doc.substring(0, doc.indexOf("## Each number once"));
    Set<String> names = new TreeSet<>();
    for (String line : groups.split("\n")) {
      Matcher m = ROW.matcher(line);
      if (m.find()) {
        assertTrue(names.add(m.group(1)), "documented twice: " + m.group(1));
      }
    }
    return names;
  }

  private static Set<String> declared() throws IllegalAccessException {
    Set<String> names = new TreeSet<>();
    for (Field f : Metrics.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        assertTrue(names.add((String) f.get(null)), "declared twice: " + f.get(null));
      }
    }
    return names;
  }

  @Test
  void everyDeclaredNameIsDocumentedAndEveryDocumentedNameDeclared() throws Exception {
    Set<String> documented = documented();
    Set<String> declared = declared();
    Set<String> missing = new TreeSet<>(declared);
    missing.removeAll(documented);
    assertEquals(Set.of(), missing, "declared in Metrics but not in docs/metrics.md");
    Set<String> extra = new TreeSet<>(documented);
    extra.removeAll(declared);
    // Templated names: the component means and the per-phase times.
    extra.removeIf(
        n ->
            n.equals(Metrics.rewardMean("<name>"))
                || n.equals(Metrics.rewardValue("<name>", "<key>"))
                || n.equals("eval/pass@<k>")
                || n.equals("eval/avg@<n>")
                || n.equals("eval/maj@<n>")
                || n.startsWith("perf/time_"));
    assertEquals(Set.of(), extra, "documented in docs/metrics.md but not declared in Metrics");
  }

  @Test
  void renamedNamesAreGoneAndPointAtDeclaredOnes() throws Exception {
    Set<String> declared = declared();
    Set<String> documented = documented();
    Metrics.RENAMED.forEach(
        (old, now) -> {
          assertTrue(!declared.contains(old) && !documented.contains(old), old + " still logged");
          assertTrue(declared.contains(now), old + " renamed to an unknown name " + now);
        });
  }
}
