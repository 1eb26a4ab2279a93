package org.tokenrl.core;

import java.nio.file.Path;

/**
 * The folder relative paths in a run config resolve against ({@code task.path}, {@code
 * run.init_from}, {@code configs/}): the launcher passes it as {@code -Dtokenrl.root}, tests and
 * embedded uses default to the working directory.
 */
public final class ProjectRoot {
  private ProjectRoot() {}

  public static Path get() {
    return Path.of(System.getProperty("tokenrl.root", ".")).toAbsolutePath().normalize();
  }
}
