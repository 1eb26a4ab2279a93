package org.tokenrl.core;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's Jinja chat template rendered the way transformers' {@code apply_chat_template} does:
 * variables {@code messages} (list of {role, content}), {@code add_generation_prompt}, {@code
 * bos_token}, {@code eos_token}, {@code tools} (JSON schemas, only when given), the function {@code
 * raise_exception(message)} and transformers' {@code tojson} filter (Python's {@code json.dumps},
 * see {@link PyJson}); trim_blocks and lstrip_blocks on. The engine is HubSpot's jinjava.
 */
public final class ChatTemplate {
  /** One chat turn. */
  public record Message(String role, String content) {}

  /**
   * Bound on a rendered prompt and on any string a template builds, in characters: far above any
   * model's context (a 128k-token prompt is well under a million characters), far below what would
   * exhaust the heap, so a template that grows a string in a loop fails with one line instead of
   * taking the JVM down.
   */
  public static final long MAX_OUTPUT_CHARS = 4_000_000;

  private static final ThreadLocal<Jinjava> ENGINE = ThreadLocal.withInitial(ChatTemplate::engine);

  private final String source;
  private final String prepared; // whitespace control applied (JinjaWhitespace)
  private final String bosToken;
  private final String eosToken;

  /** {@code bosToken}/{@code eosToken} may be null (rendered as empty strings). */
  public ChatTemplate(String source, String bosToken, String eosToken) {
    this.source = source;
    this.prepared = source == null ? null : JinjaWhitespace.apply(source);
    this.bosToken = bosToken == null ? "" : bosToken;
    this.eosToken = eosToken == null ? "" : eosToken;
  }

  private static Jinjava engine() {
    JinjavaConfig config =
        JinjavaConfig.newBuilder()
            .withTrimBlocks(true)
            .withLstripBlocks(true)
            .withFailOnUnknownTokens(false)
            // A message containing "{{ x }}" is text, not template: jinja2 never re-renders output.
            .withNestedInterpretationEnabled(false)
            .withMaxOutputSize(MAX_OUTPUT_CHARS)
            .withMaxStringLength(MAX_OUTPUT_CHARS)
            .withMaxListSize(1_000_000)
            .withRangeLimit(100_000)
            .withMaxRenderDepth(20)
            .withMaxMacroRecursionDepth(20)
            .build();
    Jinjava j = new Jinjava(config);
    j.getGlobalContext().registerFilter(new ToJson());
    j.getGlobalContext().registerExpTest(new IsIterable());
    j.getGlobalContext()
        .registerFunction(
            new ELFunctionDefinition(
                "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    return j;
  }

  /** Called by templates as {@code raise_exception(msg)}: aborts rendering with the message. */
  public static String raiseException(String message) {
    throw new TemplateException(message);
  }

  /** The template's own error (raise_exception) or a syntax error, as one line. */
  public static final class TemplateException extends RuntimeException {
    public TemplateException(String message) {
      super(message);
    }
  }

  public String source() {
    return source;
  }

  /** The end-of-sequence token text the template was given ("" when none). */
  public String eosToken() {
    return eosToken;
  }

  /** transformers' {@code tojson}: {@code json.dumps(x, ensure_ascii=False, indent=indent)}. */
  private static final class ToJson implements com.hubspot.jinjava.lib.filter.Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(
        Object var,
        com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter,
        Object[] args,
        Map<String, Object> kwargs) {
      Object indent = kwargs.get("indent");
      if (indent == null && args.length > 0) {
        indent = args[0];
      }
      return PyJson.dumps(var, indent == null ? -1 : Integer.parseInt(indent.toString()));
    }

    @Override
    public Object filter(
        Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }
  }

  /**
   * jinja2's {@code iterable} test: anything {@code iter()} accepts, strings included (Llama 3's
   * template relies on it to JSON-quote a string tool result); jinjava's excludes strings.
   */
  private static final class IsIterable implements com.hubspot.jinjava.lib.exptest.ExpTest {
    @Override
    public String getName() {
      return "iterable";
    }

    @Override
    public boolean evaluate(
        Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, Object... args) {
      return var instanceof CharSequence
          || var instanceof Iterable<?>
          || var instanceof Map<?, ?>
          || (var != null && var.getClass().isArray());
    }
  }

  public String render(List<Message> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, null);
  }

  /**
   * Renders with the {@code tools} variable bound to {@code tools} (JSON schemas as maps and lists,
   * e.g. {"type": "function", "function": {"name", "description", "parameters"}}); null leaves it
   * undefined, as transformers does without tools.
   */
  public String render(
      List<Message> messages, boolean addGenerationPrompt, List<Map<String, Object>> tools) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Message m : messages) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("role", m.role());
      map.put("content", m.content());
      list.add(map);
    }
    Map<String, Object> bindings = new HashMap<>();
    bindings.put("messages", list);
    bindings.put("add_generation_prompt", addGenerationPrompt);
    bindings.put("bos_token", bosToken);
    bindings.put("eos_token", eosToken);
    if (tools != null) {
      bindings.put("tools", tools);
    }
    RenderResult result;
    try {
      result = ENGINE.get().renderForResult(prepared, bindings);
    } catch (TemplateException e) {
      throw e;
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof TemplateException)) {
        cause = cause.getCause();
      }
      if (cause instanceof TemplateException t) {
        throw t;
      }
      throw new TemplateException("chat template failed: " + e.getMessage());
    }
    for (TemplateError error : result.getErrors()) {
      for (Throwable c = error.getException(); c != null; c = c.getCause()) {
        if (c instanceof TemplateException t) {
          throw t;
        }
      }
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new TemplateException(
            "chat template error at line " + error.getLineno() + ": " + error.getMessage());
      }
    }
    return result.getOutput();
  }
}
