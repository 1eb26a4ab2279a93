package org.tokenrl.distributed;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The jars and class directories Ray's Java workers need to load tokenrl: those of this JVM's
 * classpath. A classpath may be one "manifest-only" jar whose {@code Class-Path} lists the real
 * entries (Maven Surefire starts tests that way), so such manifests are followed.
 */
final class CodeSearchPath {
  private CodeSearchPath() {}

  /** The value for {@code ray.job.code-search-path}: absolute paths joined by ':'. */
  static String ofThisJvm() {
    // The run's plugins (core's Plugins) come after the classpath, as in the driver's loader.
    String classpath = System.getProperty("java.class.path", "");
    String plugins = System.getProperty("tokenrl.plugins", "");
    return String.join(
        File.pathSeparator,
        expand(plugins.isEmpty() ? classpath : classpath + File.pathSeparator + plugins));
  }

  static List<String> expand(String classpath) {
    Set<String> out = new LinkedHashSet<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        add(Path.of(entry).toAbsolutePath().normalize(), out);
      }
    }
    return new ArrayList<>(out);
  }

  private static void add(Path entry, Set<String> out) {
    if (!Files.exists(entry) || !out.add(entry.toString())) {
      return;
    }
    if (!entry.toString().endsWith(".jar")) {
      return;
    }
    try (JarFile jar = new JarFile(entry.toFile())) {
      Manifest manifest = jar.getManifest();
      String classPath =
          manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
      if (classPath == null) {
        return;
      }
      for (String ref : classPath.trim().split("\\s+")) {
        // Entries are URLs relative to the jar's directory (Surefire writes absolute file: URLs).
        URI uri = entry.getParent().toUri().resolve(ref);
        if ("file".equals(uri.getScheme())) {
          add(Path.of(uri).toAbsolutePath().normalize(), out);
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      // An unreadable jar adds no manifest entries; it stays on the path as given.
    }
  }
}
