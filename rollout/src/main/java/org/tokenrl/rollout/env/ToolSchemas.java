package org.tokenrl.rollout.env;

import java.util.List;
import java.util.Map;

/** Checks tool definitions before they reach a chat template. */
final class ToolSchemas {
  private ToolSchemas() {}

  /**
   * Each tool must be {@code {"type": "function", "function": {"name": <non-empty string>,
   * "parameters": <object>, ...}}}; throws IllegalArgumentException naming the tool otherwise.
   */
  static void check(List<Map<String, Object>> tools) {
    for (int i = 0; i < tools.size(); i++) {
      Map<String, Object> t = tools.get(i);
      String which = "tool " + (i + 1);
      if (t == null || !"function".equals(t.get("type"))) {
        throw new IllegalArgumentException(which + " needs \"type\": \"function\"");
      }
      if (!(t.get("function") instanceof Map<?, ?> f)) {
        throw new IllegalArgumentException(which + " needs a \"function\" object");
      }
      if (!(f.get("name") instanceof String name) || name.isBlank()) {
        throw new IllegalArgumentException(which + "'s function needs a non-empty \"name\"");
      }
      if (f.containsKey("parameters") && !(f.get("parameters") instanceof Map<?, ?>)) {
        throw new IllegalArgumentException(
            "tool '" + name + "': \"parameters\" must be a JSON-schema object");
      }
    }
  }
}
