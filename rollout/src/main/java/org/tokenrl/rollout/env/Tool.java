package org.tokenrl.rollout.env;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** A function the policy may call from a {@link ToolEnvironment}. */
public interface Tool {
  String name();

  String description();

  /** The JSON schema of the arguments object ({"type": "object", "properties": ..., ...}). */
  Map<String, Object> parameters();

  /**
   * Runs the call. A {@link ToolException} becomes the tool's answer ("error: ..."), which the
   * policy sees and may recover from; any other exception fails the row (rollout.env_on_error).
   */
  String call(JsonNode arguments) throws ToolException;

  /** The schema a chat template's {@code tools} variable receives. */
  default Map<String, Object> schema() {
    Map<String, Object> function = new LinkedHashMap<>();
    function.put("name", name());
    function.put("description", description());
    function.put("parameters", parameters());
    Map<String, Object> tool = new LinkedHashMap<>();
    tool.put("type", "function");
    tool.put("function", function);
    return tool;
  }
}
