package org.tokenrl.rollout.env;

import com.typesafe.config.Config;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The environments {@code rollout.env.name} can name:
 *
 * <ul>
 *   <li>{@code calculator}: a {@link ToolEnvironment} with the {@link CalculatorTool};
 *   <li>{@code python}: a class in a Python file ({@code rollout.env.path}, {@code
 *       rollout.env.class}), see {@link PythonEnvironments};
 *   <li>a Java class name: an {@link Environment} with a public constructor {@code (EnvRow,
 *       Config)}; it receives {@code rollout.env.options}.
 * </ul>
 *
 * {@code ""} means single-turn rollouts (no environment).
 */
public final class Environments {
  public static final String CALCULATOR = "calculator";
  public static final String PYTHON = "python";

  private Environments() {}

  /** Whether {@code rollout.env.name} asks for multi-turn rollouts. */
  public static boolean enabled(Config c) {
    return !c.getString("rollout.env.name").isEmpty();
  }

  /**
   * The factory of {@code rollout.env}; throws IllegalArgumentException naming the key when it
   * cannot be made (checked before any work).
   */
  public static EnvironmentFactory create(Config c) {
    String name = c.getString("rollout.env.name");
    Config options = c.getConfig("rollout.env.options");
    double timeout = c.getDouble("rollout.env_timeout_s");
    switch (name) {
      case CALCULATOR:
        return named(CALCULATOR, row -> new ToolEnvironment(List.of(new CalculatorTool())));
      case PYTHON:
        String path = c.getString("rollout.env.path");
        String cls = c.getString("rollout.env.class");
        if (path.isEmpty() || !Files.isRegularFile(Path.of(path))) {
          throw new IllegalArgumentException(
              "rollout.env.path = \""
                  + path
                  + "\" is not a file; rollout.env.name = python needs the .py file that defines"
                  + " the environment class");
        }
        if (cls.isEmpty()) {
          throw new IllegalArgumentException(
              "rollout.env.class is empty; name the class in " + path + " (e.g. class = MyEnv)");
        }
        return new PythonEnvironments(Path.of(path), cls, options.root().unwrapped(), timeout);
      default:
        return javaClass(name, options);
    }
  }

  private static EnvironmentFactory javaClass(String name, Config options) {
    Class<?> type;
    try {
      type = Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException(
          "rollout.env.name = "
              + name
              + " is neither a built-in environment (calculator, python) nor a class on the"
              + " classpath");
    }
    if (!Environment.class.isAssignableFrom(type)) {
      throw new IllegalArgumentException(
          "rollout.env.name = " + name + " does not implement " + Environment.class.getName());
    }
    Constructor<?> ctor;
    try {
      ctor = type.getConstructor(EnvRow.class, Config.class);
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(
          "rollout.env.name = "
              + name
              + " needs a public constructor (EnvRow row, Config options)");
    }
    return named(
        type.getSimpleName(),
        row -> {
          try {
            return (Environment) ctor.newInstance(row, options);
          } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e);
          }
        });
  }

  private static EnvironmentFactory named(String name, EnvironmentFactory f) {
    return new EnvironmentFactory() {
      @Override
      public Environment create(EnvRow row) throws Exception {
        return f.create(row);
      }

      @Override
      public String name() {
        return name;
      }
    };
  }
}
