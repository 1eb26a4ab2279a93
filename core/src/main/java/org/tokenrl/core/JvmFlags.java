package org.tokenrl.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The JVM flags every tokenrl JVM needs (module opens for Arrow and Ray's serializer), as the root
 * pom's {@code tokenrl.accessFlags} lists them. The build writes that list to {@code jvm-flags.txt}
 * next to this class; the {@code ./tokenrl} launcher reads the same file, so the pom, the launcher
 * and the JVMs tokenrl starts (Ray workers) share one list.
 */
public final class JvmFlags {
  private JvmFlags() {}

  /** The flags, in the pom's order. */
  public static List<String> required() {
    try (InputStream in = JvmFlags.class.getResourceAsStream("jvm-flags.txt")) {
      if (in == null) {
        throw new IllegalStateException("jvm-flags.txt is missing from tokenrl-core's classpath");
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      return Arrays.asList(text.split("\\s+"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read jvm-flags.txt", e);
    }
  }
}
