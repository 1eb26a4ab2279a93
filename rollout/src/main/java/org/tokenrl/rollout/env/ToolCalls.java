package org.tokenrl.rollout.env;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds tool calls in a policy turn's text, in the two forms chat models write them:
 *
 * <ul>
 *   <li>Hermes / Qwen2.5 / SmolLM: {@code <tool_call>{"name": ..., "arguments":
 *       {...}}</tool_call>}, any number per turn;
 *   <li>Llama 3: the whole turn is one JSON object {@code {"name": ..., "parameters": {...}}},
 *       optionally after {@code <|python_tag|>}.
 * </ul>
 *
 * A call whose JSON does not parse, lacks a name or arguments object, or whose {@code <tool_call>}
 * is never closed is returned as malformed, with the reason, so the environment can answer with an
 * error the policy sees. {@code arguments} given as a JSON string (OpenAI's form) is parsed.
 */
public final class ToolCalls {
  public static final String OPEN = "<tool_call>";
  public static final String CLOSE = "</tool_call>";
  private static final String PYTHON_TAG = "<|python_tag|>";
  private static final ObjectMapper JSON = new ObjectMapper();

  private ToolCalls() {}

  /** One call, or a malformed one ({@code error} non-null, {@code name} and arguments null). */
  public record Call(String name, JsonNode arguments, String error) {
    public boolean malformed() {
      return error != null;
    }
  }

  /** The calls in {@code text}, in order; empty when it calls nothing (a final answer). */
  public static List<Call> parse(String text) {
    List<Call> calls = new ArrayList<>();
    if (text.contains(OPEN)) {
      int from = 0;
      while (true) {
        int open = text.indexOf(OPEN, from);
        if (open < 0) {
          break;
        }
        int close = text.indexOf(CLOSE, open + OPEN.length());
        if (close < 0) {
          calls.add(malformed("<tool_call> is not closed by </tool_call>"));
          break;
        }
        calls.add(call(text.substring(open + OPEN.length(), close).strip(), "arguments"));
        from = close + CLOSE.length();
      }
      return calls;
    }
    String body = text.strip();
    if (body.startsWith(PYTHON_TAG)) {
      body = body.substring(PYTHON_TAG.length()).strip();
    }
    if (body.startsWith("{") && body.contains("\"name\"")) {
      calls.add(call(body, "parameters"));
    }
    return calls;
  }

  private static Call call(String json, String argumentsKey) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (java.io.IOException e) {
      return malformed("not JSON: " + firstLine(e.getMessage()));
    }
    if (node == null || !node.isObject()) {
      return malformed("expected a JSON object {\"name\": ..., \"" + argumentsKey + "\": {...}}");
    }
    JsonNode name = node.get("name");
    if (name == null || !name.isTextual() || name.asText().isBlank()) {
      return malformed("the call has no \"name\"");
    }
    JsonNode args = node.has("arguments") ? node.get("arguments") : node.get("parameters");
    if (args != null && args.isTextual()) {
      try {
        args = JSON.readTree(args.asText());
      } catch (java.io.IOException e) {
        return malformed("arguments are a string that is not JSON");
      }
    }
    if (args == null) {
      args = JSON.createObjectNode();
    }
    if (!args.isObject()) {
      return malformed("\"" + argumentsKey + "\" must be a JSON object");
    }
    return new Call(name.asText(), args, null);
  }

  private static Call malformed(String why) {
    return new Call(null, null, why);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
