package org.tokenrl.rollout.env;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.ChatTemplate;

/**
 * A tool box: each policy turn's tool calls ({@link ToolCalls}) are run and their results appended
 * as {@code tool} messages; a turn without a call is the final answer and ends the rollout (the
 * task's reward judges it). A malformed call, an unknown tool or a call the tool rejects is
 * answered with {@code "error: ..."} so the policy can see and correct it; only an unexpected
 * exception from a tool fails the row. The environment adds no reward of its own.
 */
public class ToolEnvironment implements Environment {
  private final Map<String, Tool> tools = new LinkedHashMap<>();

  public ToolEnvironment(List<Tool> tools) {
    for (Tool t : tools) {
      if (this.tools.put(t.name(), t) != null) {
        throw new IllegalArgumentException("two tools are named '" + t.name() + "'");
      }
    }
  }

  @Override
  public List<Map<String, Object>> tools() {
    return tools.values().stream().map(Tool::schema).toList();
  }

  @Override
  public EnvStep step(EnvTurn turn) {
    List<ToolCalls.Call> calls = ToolCalls.parse(turn.text());
    if (calls.isEmpty()) {
      return EnvStep.done(0.0);
    }
    List<ChatTemplate.Message> results = new ArrayList<>();
    for (ToolCalls.Call call : calls) {
      results.add(new ChatTemplate.Message("tool", answer(call)));
    }
    return EnvStep.next(results);
  }

  private String answer(ToolCalls.Call call) {
    if (call.malformed()) {
      return "error: malformed tool call: " + call.error();
    }
    Tool tool = tools.get(call.name());
    if (tool == null) {
      return "error: unknown tool '"
          + call.name()
          + "'; available: "
          + String.join(", ", tools.keySet());
    }
    try {
      return tool.call(call.arguments());
    } catch (ToolException e) {
      return "error: " + e.getMessage();
    }
  }
}
