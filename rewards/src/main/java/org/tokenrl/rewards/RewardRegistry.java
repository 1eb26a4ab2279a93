package org.tokenrl.rewards;

import com.typesafe.config.Config;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Function;
import org.tokenrl.core.ProjectRoot;

/**
 * Builds a reward function from one {@code rewards} entry. Its {@code name} is looked up in this
 * order: a built-in, a {@link RewardFunctionProvider} found by {@link ServiceLoader}, then a
 * fully-qualified class implementing {@link RewardFunction}. An unknown name fails with the list of
 * built-ins and providers.
 */
public final class RewardRegistry {
  /** The key of a {@code rewards} entry that selects the function. */
  public static final String NAME = "name";

  private static final Map<String, Function<Config, RewardFunction>> BUILT_INS = builtIns();

  private RewardRegistry() {}

  private static Map<String, Function<Config, RewardFunction>> builtIns() {
    Map<String, Function<Config, RewardFunction>> m = new LinkedHashMap<>();
    m.put(TaskReward.NAME, TaskReward::new);
    m.put(ExactMatchReward.NAME, ExactMatchReward::new);
    m.put(NumericReward.NAME, NumericReward::new);
    m.put(RegexReward.NAME, RegexReward::new);
    m.put(LengthPenaltyReward.NAME, LengthPenaltyReward::new);
    m.put(BleuReward.NAME, BleuReward::new);
    m.put(MathReward.NAME, MathReward::new);
    return Collections.unmodifiableMap(m);
  }

  /** Names of the built-in rewards, in documentation order. */
  public static Set<String> builtInNames() {
    Set<String> names = new LinkedHashSet<>(BUILT_INS.keySet());
    names.add(PythonReward.NAME); // built in, but it also needs the project root
    return Collections.unmodifiableSet(names);
  }

  /** Builds the function named by {@code entry.name}; {@code entry} is also its parameters. */
  public static RewardFunction create(Config entry) {
    return create(entry, ProjectRoot.get());
  }

  /** The same, with relative file paths ({@code python}'s {@code path}) resolved against a root. */
  public static RewardFunction create(Config entry, Path projectRoot) {
    if (!entry.hasPath(NAME)) {
      throw new IllegalArgumentException(
          "a rewards entry has no name: " + entry.root().render() + "; write e.g. {name = task}");
    }
    String name = entry.getString(NAME);
    if (name.equals(PythonReward.NAME)) {
      return new PythonReward(entry, projectRoot);
    }
    Function<Config, RewardFunction> builtIn = BUILT_INS.get(name);
    if (builtIn != null) {
      return builtIn.apply(entry);
    }
    Map<String, RewardFunctionProvider> providers = providers();
    RewardFunctionProvider provider = providers.get(name);
    if (provider != null) {
      return provider.create(entry);
    }
    if (name.contains(".")) {
      return instantiate(name, entry);
    }
    throw new IllegalArgumentException(unknown(name, providers.keySet()));
  }

  /** Providers by name; a provider that reuses a built-in or another provider's name fails. */
  private static Map<String, RewardFunctionProvider> providers() {
    Map<String, RewardFunctionProvider> found = new LinkedHashMap<>();
    for (RewardFunctionProvider p : ServiceLoader.load(RewardFunctionProvider.class, loader())) {
      String name = p.name();
      RewardFunctionProvider previous = found.put(name, p);
      if (builtInNames().contains(name) || previous != null) {
        String other = previous == null ? "the built-in" : previous.getClass().getName();
        throw new IllegalStateException(
            "reward provider "
                + p.getClass().getName()
                + " registers the name '"
                + name
                + "', already taken by "
                + other
                + "; rename one of them");
      }
    }
    return found;
  }

  private static RewardFunction instantiate(String className, Config entry) {
    Class<?> type;
    try {
      type = Class.forName(className, true, loader());
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException(
          unknown(className, providers().keySet())
              + " (class "
              + className
              + " is not on the classpath)");
    }
    if (!RewardFunction.class.isAssignableFrom(type)) {
      throw new IllegalArgumentException(
          "reward class "
              + className
              + " does not implement "
              + RewardFunction.class.getName()
              + "; declare it as 'public final class "
              + type.getSimpleName()
              + " implements RewardFunction'");
    }
    if (!Modifier.isPublic(type.getModifiers()) || Modifier.isAbstract(type.getModifiers())) {
      throw new IllegalArgumentException(
          "reward class " + className + " must be public and not abstract");
    }
    try {
      Constructor<?> withConfig = publicConstructor(type, Config.class);
      if (withConfig != null) {
        return (RewardFunction) withConfig.newInstance(entry);
      }
      Constructor<?> noArgs = publicConstructor(type);
      if (noArgs != null) {
        return (RewardFunction) noArgs.newInstance();
      }
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new IllegalArgumentException(
          "reward class " + className + " failed to construct: " + cause, cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("cannot construct reward class " + className, e);
    }
    throw new IllegalArgumentException(
        "reward class "
            + className
            + " needs a public constructor taking "
            + "(com.typesafe.config.Config params) or no arguments");
  }

  private static Constructor<?> publicConstructor(Class<?> type, Class<?>... parameters) {
    try {
      return type.getConstructor(parameters);
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  private static String unknown(String name, Set<String> providerNames) {
    List<String> known = new ArrayList<>(builtInNames());
    known.addAll(providerNames);
    String kinds = providerNames.isEmpty() ? "built-in" : "built-in and registered";
    return "unknown reward '"
        + name
        + "' ("
        + kinds
        + ": "
        + String.join(", ", known)
        + "). To add your own, write a public class implementing "
        + RewardFunction.class.getName()
        + " with a public (com.typesafe.config.Config) or no-arg constructor, name its jar or"
        + " class folder in the config's plugins = [...] (or TOKENRL_CLASSPATH) and use its"
        + " fully-qualified name, e.g. {name = com.example.MyReward, weight = 0.2}; see"
        + " rewards/README.md";
  }

  private static ClassLoader loader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : RewardRegistry.class.getClassLoader();
  }
}
