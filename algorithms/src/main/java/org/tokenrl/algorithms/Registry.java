package org.tokenrl.algorithms;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A name → value map that fails loudly: on a duplicate name when built, on an unknown one when
 * read.
 */
final class Registry<T> {
  private final String kind;
  private final Map<String, T> entries = new LinkedHashMap<>();

  Registry(String kind) {
    this.kind = kind;
  }

  Registry<T> register(String name, T value) {
    if (entries.putIfAbsent(name, value) != null) {
      throw new IllegalStateException(kind + " '" + name + "' is registered twice");
    }
    return this;
  }

  T get(String name) {
    T value = entries.get(name);
    if (value == null) {
      throw new IllegalArgumentException(
          "unknown " + kind + " '" + name + "'; valid names: " + String.join(", ", names()));
    }
    return value;
  }

  Set<String> names() {
    return Collections.unmodifiableSet(new TreeSet<>(entries.keySet()));
  }
}
