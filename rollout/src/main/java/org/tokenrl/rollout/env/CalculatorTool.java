package org.tokenrl.rollout.env;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in {@code calculator} tool: {"expression": "1234 + 5678"} → "6912" ({@link
 * Calculator}).
 */
public final class CalculatorTool implements Tool {
  @Override
  public String name() {
    return "calculator";
  }

  @Override
  public String description() {
    return "Evaluates an arithmetic expression exactly: + - * / % ^ and parentheses.";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> expression = new LinkedHashMap<>();
    expression.put("type", "string");
    expression.put("description", "The expression, e.g. \"1234 + 5678\"");
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("expression", expression);
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("properties", properties);
    schema.put("required", List.of("expression"));
    return schema;
  }

  @Override
  public String call(JsonNode arguments) throws ToolException {
    JsonNode e = arguments.get("expression");
    if (e == null || !(e.isTextual() || e.isNumber())) {
      throw new ToolException("calculator needs {\"expression\": \"...\"}, got " + arguments);
    }
    return Calculator.evaluate(e.asText());
  }
}
