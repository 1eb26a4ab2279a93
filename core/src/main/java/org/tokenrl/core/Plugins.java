package org.tokenrl.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The user's own code: jars and class folders named by the run config's {@code plugins} key (a
 * reward class, a {@code RewardFunctionProvider}, a task). The launcher's {@code TOKENRL_CLASSPATH}
 * puts entries on the JVM's classpath before it starts; {@code plugins} adds them once the config
 * is read, through a class loader installed as the thread context loader (which every thread
 * started afterwards inherits, and which the registries look classes up in). Ray's workers get the
 * same entries: {@link #PROPERTY} lists them for the code search path.
 */
public final class Plugins {
  /** The config key. */
  public static final String KEY = "plugins";

  /** System property holding the installed entries (absolute, path-separator joined). */
  public static final String PROPERTY = "tokenrl.plugins";

  private static final Set<Path> INSTALLED = new LinkedHashSet<>();

  private Plugins() {}

  /**
   * {@code config} with each {@code plugins} entry made absolute: relative to the file that set it,
   * or to the working directory for a command-line override. A run's config.conf then names the
   * same files when the run is resumed from anywhere.
   */
  public static Config resolvePaths(Config config) {
    if (!config.hasPath(KEY)) {
      return config;
    }
    ConfigValue value = config.getValue(KEY);
    String file = value.origin().filename();
    Path base = file == null ? Path.of("") : Path.of(file).toAbsolutePath().getParent();
    List<String> absolute = new ArrayList<>();
    for (String entry : config.getStringList(KEY)) {
      absolute.add(base.resolve(entry).toAbsolutePath().normalize().toString());
    }
    return config.withValue(
        KEY, ConfigValueFactory.fromIterable(absolute, value.origin().description()));
  }

  /**
   * Checks every {@code plugins} entry exists and makes its classes loadable from this thread (and
   * threads it starts). Idempotent per entry.
   *
   * @throws IllegalArgumentException naming the key and the missing or unusable entry
   */
  public static synchronized void install(Config config) {
    if (!config.hasPath(KEY)) {
      return;
    }
    List<URL> urls = new ArrayList<>();
    for (String entry : config.getStringList(KEY)) {
      Path path = Path.of(entry).toAbsolutePath().normalize();
      boolean jar = Files.isRegularFile(path) && path.toString().endsWith(".jar");
      if (!jar && !Files.isDirectory(path)) {
        throw new IllegalArgumentException(
            KEY
                + " entry '"
                + entry
                + "' is neither a .jar file nor a class folder; give the jar or the folder"
                + " holding your compiled classes (relative paths are relative to the config"
                + " file)");
      }
      if (INSTALLED.add(path)) {
        try {
          urls.add(path.toUri().toURL());
        } catch (MalformedURLException e) {
          throw new IllegalArgumentException(KEY + " entry '" + entry + "': " + e.getMessage(), e);
        }
      }
    }
    if (urls.isEmpty()) {
      return;
    }
    Thread thread = Thread.currentThread();
    ClassLoader parent =
        thread.getContextClassLoader() != null
            ? thread.getContextClassLoader()
            : Plugins.class.getClassLoader();
    thread.setContextClassLoader(new URLClassLoader(urls.toArray(URL[]::new), parent));
    List<String> all = new ArrayList<>();
    INSTALLED.forEach(p -> all.add(p.toString()));
    System.setProperty(PROPERTY, String.join(File.pathSeparator, all));
  }
}
