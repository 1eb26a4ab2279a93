package org.tokenrl.trainer.setup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.core.PyJson;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.rollout.DataFile;
import org.tokenrl.rollout.env.ConversationIds;
import org.tokenrl.rollout.env.EnvRow;
import org.tokenrl.rollout.env.Environment;
import org.tokenrl.rollout.env.EnvironmentFactory;
import org.tokenrl.rollout.env.Environments;
import org.tokenrl.rollout.env.MultiTurn;

/**
 * {@code sft.data}: supervised warm-up (and {@code algorithm = sft}) data as conversations, the
 * layout of TRL's conversational datasets: each row has {@code messages}, a list of {@code {"role",
 * "content"}} with roles {@code system}, {@code user}, {@code assistant} and {@code tool}, and
 * optionally {@code tools} (JSON schemas). An assistant message may carry TRL's {@code tool_calls}
 * ({@code [{"type": "function", "function": {"name": ..., "arguments": {...}}}]}); each becomes the
 * {@code <tool_call>{json}</tool_call>} text the tool environments parse, after the content.
 *
 * <p>Rows are rendered by the model's chat template as a multi-turn rollout renders them ({@link
 * ConversationIds}); only the assistant's tokens are trained on (TRL's {@code
 * assistant_only_loss}). A row without {@code tools} gets the tools of {@code rollout.env} when the
 * run has one, so the warm-up's prompts describe the tools exactly as the rollouts' do; a row
 * without a system message gets {@code task.system} (when set), as task prompts do. {@code
 * task.instruction} is not added: a demonstration's user message is taken as written.
 */
public final class SftConversations {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

  /** One rendered conversation and where it was read ({@code file:line}). */
  public record Row(String where, ConversationIds.Ids ids) {}

  private SftConversations() {}

  /** Whether {@code sft.data} is set. */
  public static boolean enabled(Config c) {
    return c.hasPath("sft.data") && !c.getString("sft.data").isBlank();
  }

  /**
   * Every row of {@code sft.data}, rendered with the run's chat template and tools.
   *
   * @throws ConfigException one line naming {@code sft.data} or the row's {@code file:line}
   */
  public static List<Row> load(Config c, Path projectRoot, Tokenizer tokenizer) {
    String shown = c.getString("sft.data");
    Path file = projectRoot.resolve(shown);
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(
          "config error: sft.data = "
              + shown
              + ": no such file (looked for "
              + file.toAbsolutePath()
              + "); give a .jsonl, .json or .parquet file of {\"messages\": [...]} rows");
    }
    if (!c.getBoolean("task.chat")
        || !(tokenizer instanceof HfTokenizer hf)
        || hf.chatTemplate() == null) {
      throw new ConfigException(
          "config error: sft.data (conversations) needs task.chat = true and a model.path with a"
              + " chat template");
    }
    ChatTemplate template =
        new ChatTemplate(hf.chatTemplate(), hf.specials().bos(), hf.specials().eos());
    ConversationIds renderer =
        new ConversationIds(template, hf, MultiTurn.settings(c).stopStrings());
    List<DataFile.Row> rows = DataFile.read(file, shown);
    String system = c.getString("task.system");
    List<Row> out = new ArrayList<>();
    try (EnvironmentFactory envs = Environments.enabled(c) ? Environments.create(c) : null) {
      for (int i = 0; i < rows.size(); i++) {
        DataFile.Row row = rows.get(i);
        try {
          List<ChatTemplate.Message> messages = messages(row.object().get("messages"));
          if (!system.isEmpty() && messages.stream().noneMatch(m -> m.role().equals("system"))) {
            messages.add(0, new ChatTemplate.Message("system", system)); // as task prompts get it
          }
          List<Map<String, Object>> tools =
              row.object().has("tools")
                  ? tools(row.object().get("tools"))
                  : envTools(envs, i, messages);
          out.add(new Row(row.where(), renderer.render(messages, tools)));
        } catch (IllegalArgumentException | ChatTemplate.TemplateException e) {
          throw new ConfigException(row.where() + ": " + e.getMessage() + " (sft.data)");
        }
      }
    }
    return out;
  }

  private static List<ChatTemplate.Message> messages(JsonNode node) {
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw new IllegalArgumentException(
          "needs \"messages\": a non-empty list of {\"role\", \"content\"}");
    }
    List<ChatTemplate.Message> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode m = node.get(i);
      String at = "messages[" + i + "]";
      if (!m.isObject() || !m.path("role").isTextual()) {
        throw new IllegalArgumentException(at + " must be an object with a \"role\"");
      }
      String role = m.get("role").asText();
      if (!ROLES.contains(role)) {
        throw new IllegalArgumentException(
            at + ": role \"" + role + "\" is not one of system, user, assistant, tool");
      }
      JsonNode content = m.get("content");
      JsonNode calls = m.get("tool_calls");
      boolean hasCalls = calls != null && !calls.isNull();
      if (!(content != null && content.isTextual())
          && !(hasCalls && (content == null || content.isNull()))) {
        throw new IllegalArgumentException(at + " needs a string \"content\"");
      }
      String text = content != null && content.isTextual() ? content.asText() : "";
      if (hasCalls) {
        if (!role.equals("assistant")) {
          throw new IllegalArgumentException(at + ": only an assistant message has tool_calls");
        }
        text += toolCallText(calls, at);
      }
      out.add(new ChatTemplate.Message(role, text));
    }
    return out;
  }

  /** TRL's tool_calls as {@code <tool_call>\n{"name": ..., "arguments": ...}\n</tool_call>}. */
  private static String toolCallText(JsonNode calls, String at) {
    if (!calls.isArray()) {
      throw new IllegalArgumentException(at + ".tool_calls must be a list");
    }
    StringBuilder s = new StringBuilder();
    for (JsonNode call : calls) {
      JsonNode f = call.has("function") ? call.get("function") : call;
      if (!f.path("name").isTextual()) {
        throw new IllegalArgumentException(at + ".tool_calls: every call needs a function name");
      }
      JsonNode args = f.get("arguments");
      if (args != null && args.isTextual()) {
        try {
          args = JSON.readTree(args.asText());
        } catch (java.io.IOException e) {
          throw new IllegalArgumentException(at + ".tool_calls: arguments are not JSON");
        }
      }
      Map<String, Object> c = new java.util.LinkedHashMap<>();
      c.put("name", f.get("name").asText());
      c.put("arguments", args == null ? Map.of() : JSON.convertValue(args, Object.class));
      s.append("<tool_call>\n").append(PyJson.dumps(c, -1)).append("\n</tool_call>");
    }
    return s.toString();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> tools(JsonNode node) {
    if (node.isNull()) {
      return List.of();
    }
    if (node.isTextual()) { // TRL datasets often keep the schemas as one JSON string
      try {
        node = JSON.readTree(node.asText());
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("\"tools\" is a string but not JSON");
      }
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException("\"tools\" must be a list of JSON schemas");
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (JsonNode t : node) {
      if (!t.isObject()) {
        throw new IllegalArgumentException("\"tools\" must be a list of JSON schemas (objects)");
      }
      out.add(JSON.convertValue(t, Map.class));
    }
    return out;
  }

  /** The tools {@code rollout.env} gives a rollout of this conversation's prompt; none without. */
  private static List<Map<String, Object>> envTools(
      EnvironmentFactory envs, int index, List<ChatTemplate.Message> messages) {
    if (envs == null) {
      return List.of();
    }
    List<ChatTemplate.Message> prompt = new ArrayList<>();
    String user = "";
    for (ChatTemplate.Message m : messages) {
      if (m.role().equals("assistant")) {
        break;
      }
      prompt.add(m);
      user = m.role().equals("user") ? m.content() : user;
    }
    try (Environment env = envs.create(new EnvRow(index, index, user, "", prompt, 0))) {
      return env.tools();
    } catch (Exception e) {
      throw new IllegalArgumentException(
          "rollout.env '" + envs.name() + "' failed to give its tools: " + e.getMessage());
    }
  }
}
