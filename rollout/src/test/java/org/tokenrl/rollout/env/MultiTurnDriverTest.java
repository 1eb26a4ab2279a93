package org.tokenrl.rollout.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.model.Generation;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.RowSeeds;

/**
 * The driver under a scripted policy (each row's turns are fixed texts, found by the turn's seed)
 * and the real tool environment: exact ids, masks and turn boundaries for a two-turn tool use, a
 * turn cut in the middle of a tool call, a malformed call, a tool error, max_turns, an environment
 * that throws or hangs (env_on_error = fail and zero), and the contexts the policy was fed.
 */
class MultiTurnDriverTest {
  private static final CharTokenizer TOK = CharTokenizer.ascii();
  private static final int EOS = TOK.eos();
  private static final String CALL = "<tool_call>{\"name\": \"calculator\", \"arguments\": ";

  /** A fake policy: row seed → its turns' texts ('$' = EOS), logprob -0.01 * (t + 1) per token. */
  static final class ScriptedPolicy implements MultiTurnDriver.TurnSampler {
    final Map<Long, String> bySeed = new HashMap<>();
    final List<int[]> contexts = new ArrayList<>();
    final List<Integer> budgets = new ArrayList<>();

    void script(long rowSeed, String... turns) {
      for (int t = 0; t < turns.length; t++) {
        bySeed.put(t == 0 ? rowSeed : RowSeeds.mix(rowSeed + t), turns[t]);
      }
    }

    @Override
    public Generation generate(int[][] ctx, SamplingParams params, long[] seeds) {
      int n = ctx.length;
      int[][] out = new int[n][];
      float[][] lps = new float[n][];
      float[][] ents = new float[n][];
      budgets.add(params.maxNewTokens());
      for (int j = 0; j < n; j++) {
        contexts.add(ctx[j]);
        String text = bySeed.get(seeds[j]);
        int[] ids = ids(text);
        int len = Math.min(ids.length, params.maxNewTokens());
        for (int t = 0; t < len; t++) {
          if (params.stops(ids[t])) {
            len = t + 1;
            break;
          }
        }
        out[j] = Arrays.copyOf(ids, len);
        lps[j] = new float[len];
        ents[j] = new float[len];
        for (int t = 0; t < len; t++) {
          lps[j][t] = -0.01f * (t + 1);
          ents[j][t] = 0.5f;
        }
      }
      return new Generation(out, lps, ents, new boolean[n]);
    }
  }

  static int[] ids(String scripted) {
    int[] body = TOK.encode(scripted.replace("$", ""));
    if (!scripted.endsWith("$")) {
      return body;
    }
    int[] withEos = Arrays.copyOf(body, body.length + 1);
    withEos[body.length] = EOS;
    return withEos;
  }

  static String call(String expression) {
    return CALL + "{\"expression\": \"" + expression + "\"}}</tool_call>";
  }

  static String response(String text) {
    return PlainRenderer.OPEN + text + PlainRenderer.CLOSE;
  }

  /** A tool that fails the row (not a ToolException) and one that hangs. */
  static final class Boom implements Tool {
    @Override
    public String name() {
      return "boom";
    }

    @Override
    public String description() {
      return "fails";
    }

    @Override
    public Map<String, Object> parameters() {
      return Map.of("type", "object");
    }

    @Override
    public String call(JsonNode arguments) {
      if (arguments.has("hang")) {
        try {
          Thread.sleep(10_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      throw new IllegalStateException("boom went the tool\nsecond line");
    }
  }

  final Map<Integer, AtomicInteger> steps = new ConcurrentHashMap<>();

  EnvironmentFactory tools() {
    return new EnvironmentFactory() {
      @Override
      public Environment create(EnvRow row) {
        ToolEnvironment inner = new ToolEnvironment(List.of(new CalculatorTool(), new Boom()));
        return new Environment() {
          @Override
          public List<Map<String, Object>> tools() {
            return inner.tools();
          }

          @Override
          public EnvStep step(EnvTurn turn) {
            steps.computeIfAbsent(row.row(), r -> new AtomicInteger()).incrementAndGet();
            return inner.step(turn);
          }
        };
      }

      @Override
      public String name() {
        return "calculator";
      }
    };
  }

  static MultiTurnSettings settings(int maxTurns, MultiTurnSettings.OnError onError) {
    return settings(maxTurns, onError, 30);
  }

  static MultiTurnSettings settings(int maxTurns, MultiTurnSettings.OnError onError, double t) {
    return new MultiTurnSettings(maxTurns, 90, 400, List.of("</tool_call>"), onError, t);
  }

  static SamplingParams params() {
    return new SamplingParams(1.0, 0, 1.0, 90, EOS, false);
  }

  static MultiTurnDriver.Request request(int row) {
    return new MultiTurnDriver.Request(
        new EnvRow(row, 100 + row, "q" + row, "", List.of(), 7L * row),
        new int[] {TOK.bos(), 40 + row});
  }

  /** Expected ids: segments alternate policy (mask 1) and environment (mask 0), policy first. */
  static void assertSegments(MultiTurnRollout r, String... segments) {
    List<Integer> want = new ArrayList<>();
    List<Boolean> mask = new ArrayList<>();
    for (int s = 0; s < segments.length; s++) {
      for (int id : ids(segments[s])) {
        want.add(id);
        mask.add(s % 2 == 0);
      }
    }
    assertArrayEquals(want.stream().mapToInt(Integer::intValue).toArray(), r.responseIds());
    boolean[] m = new boolean[mask.size()];
    for (int t = 0; t < m.length; t++) {
      m[t] = mask.get(t);
      assertEquals(m[t] ? 0.5f : 0f, r.entropies()[t], "entropy " + t);
    }
    assertArrayEquals(m, r.lossMask());
    List<int[]> turns = new ArrayList<>();
    int at = 0;
    for (int s = 0; s < segments.length; s++) {
      int len = ids(segments[s]).length;
      if (s % 2 == 0) {
        turns.add(new int[] {at, at + len});
      }
      at += len;
    }
    assertEquals(turns.size(), r.turns().size(), "turns");
    for (int i = 0; i < turns.size(); i++) {
      assertArrayEquals(turns.get(i), r.turns().get(i), "turn " + i);
    }
  }

  @Test
  void toolUseTruncationMalformedCallToolErrorAndMaxTurns() {
    ScriptedPolicy policy = new ScriptedPolicy();
    // row 0: a call (the text after </tool_call> is never seen), then the answer
    policy.script(0, call("1234 + 5678") + " and more", "6912$");
    // row 1: cut by the 90-token turn budget inside the call
    policy.script(7, CALL + "{\"expression\": \"" + "1+".repeat(40) + "1\"}}</tool_call>");
    // row 2: a malformed call, then an answer
    policy.script(14, "<tool_call>{\"name\": calculator}</tool_call>", "sorry$");
    // row 3: the tool rejects the call
    policy.script(21, call("7 / 0") + "$", "undefined$");
    // row 4: calls in every one of its 3 turns
    policy.script(28, call("1+1"), call("2+2"), call("3+3"));
    try (MultiTurnDriver driver =
        new MultiTurnDriver(
            settings(3, MultiTurnSettings.OnError.FAIL), tools(), new PlainRenderer(TOK))) {
      List<MultiTurnDriver.Request> requests = new ArrayList<>();
      for (int r = 0; r < 5; r++) {
        requests.add(request(r));
      }
      List<MultiTurnRollout> out =
          driver.run(requests, policy, params(), new long[] {0, 7, 14, 21, 28});

      MultiTurnRollout r0 = out.get(0);
      assertSegments(r0, call("1234 + 5678"), response("6912"), "6912$");
      assertEquals(MultiTurnRollout.End.DONE, r0.end());
      assertFalse(r0.truncated());
      assertEquals(-0.01f, r0.logprobs()[0]);
      assertEquals(0f, r0.logprobs()[ids(call("1234 + 5678")).length]);

      MultiTurnRollout r1 = out.get(1);
      String cut = (CALL + "{\"expression\": \"" + "1+".repeat(40)).substring(0, 90);
      assertSegments(r1, cut);
      assertTrue(r1.truncated());
      assertEquals(MultiTurnRollout.End.LENGTH, r1.end());
      assertEquals(null, steps.get(1), "a half-written call is never run");

      MultiTurnRollout r2 = out.get(2);
      String malformed = out.get(2).responseIds().length > 0 ? decodeMasked(r2, false) : "";
      assertTrue(
          malformed.startsWith(PlainRenderer.OPEN + "error: malformed tool call: not JSON"),
          malformed);
      assertSegments(r2, "<tool_call>{\"name\": calculator}</tool_call>", malformed, "sorry$");

      MultiTurnRollout r3 = out.get(3);
      assertSegments(r3, call("7 / 0"), response("error: division by zero"), "undefined$");
      assertEquals(MultiTurnRollout.End.DONE, r3.end());

      MultiTurnRollout r4 = out.get(4);
      assertSegments(r4, call("1+1"), response("2"), call("2+2"), response("4"), call("3+3"));
      assertEquals(MultiTurnRollout.End.MAX_TURNS, r4.end());
      assertEquals(3, steps.get(4).get(), "the last turn is still shown to the environment");

      // the policy was fed prompt + everything so far, turn after turn
      int[] prompt = request(0).requestIds();
      int[] second = concat(prompt, ids(call("1234 + 5678") + response("6912")));
      assertTrue(policy.contexts.stream().anyMatch(c -> Arrays.equals(c, prompt)));
      assertTrue(policy.contexts.stream().anyMatch(c -> Arrays.equals(c, second)));
    }
  }

  @Test
  void environmentFailuresFollowEnvOnError() {
    ScriptedPolicy policy = new ScriptedPolicy();
    policy.script(5, "<tool_call>{\"name\": \"boom\", \"arguments\": {}}</tool_call>");
    policy.script(6, "<tool_call>{\"name\": \"boom\", \"arguments\": {\"hang\": 1}}</tool_call>");
    policy.script(8, "42$");
    List<MultiTurnDriver.Request> requests =
        List.of(
            new MultiTurnDriver.Request(
                new EnvRow(5, 17, "q", "", List.of(), 5), new int[] {TOK.bos()}),
            new MultiTurnDriver.Request(
                new EnvRow(6, 18, "q", "", List.of(), 6), new int[] {TOK.bos()}),
            new MultiTurnDriver.Request(
                new EnvRow(8, 19, "q", "", List.of(), 8), new int[] {TOK.bos()}));
    long[] seeds = {5, 6, 8};
    try (MultiTurnDriver zero =
        new MultiTurnDriver(
            settings(3, MultiTurnSettings.OnError.ZERO, 3), tools(), new PlainRenderer(TOK))) {
      List<MultiTurnRollout> out = zero.run(requests, policy, params(), seeds);
      assertEquals(MultiTurnRollout.End.ERROR, out.get(0).end());
      assertTrue(Double.isNaN(out.get(0).envReward()));
      assertEquals(
          "rollout.env 'calculator': row 5 (example 17), turn 1: raised IllegalStateException:"
              + " boom went the tool",
          out.get(0).error());
      assertTrue(
          out.get(1).error().contains("row 6 (example 18), turn 1: timed out after 3.0 s"),
          out.get(1).error());
      assertEquals(MultiTurnRollout.End.DONE, out.get(2).end());
      assertEquals(0.0, out.get(2).envReward());
    }
    try (MultiTurnDriver fail =
        new MultiTurnDriver(
            settings(3, MultiTurnSettings.OnError.FAIL), tools(), new PlainRenderer(TOK))) {
      EnvironmentException e =
          assertThrows(
              EnvironmentException.class, () -> fail.run(requests, policy, params(), seeds));
      assertTrue(e.getMessage().startsWith("rollout.env 'calculator': row 5 (example 17), turn 1"));
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void badToolDefinitionNamesTheRow() {
    EnvironmentFactory bad =
        row ->
            new Environment() {
              @Override
              public List<Map<String, Object>> tools() {
                return List.of(Map.of("type", "function", "function", Map.of("name", "")));
              }

              @Override
              public EnvStep step(EnvTurn turn) {
                return EnvStep.done(0);
              }
            };
    try (MultiTurnDriver d =
        new MultiTurnDriver(
            settings(2, MultiTurnSettings.OnError.FAIL), bad, new PlainRenderer(TOK))) {
      EnvironmentException e =
          assertThrows(
              EnvironmentException.class,
              () -> d.run(List.of(request(3)), new ScriptedPolicy(), params(), new long[] {1}));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "rollout.env 'environment': row 3 (example 103), before the first turn: bad tool"
                      + " definition: tool 1's function needs a non-empty \"name\""),
          e.getMessage());
    }
  }

  static String decodeMasked(MultiTurnRollout r, boolean policy) {
    StringBuilder ids = new StringBuilder();
    List<Integer> out = new ArrayList<>();
    for (int t = 0; t < r.responseIds().length; t++) {
      if (r.lossMask()[t] == policy) {
        out.add(r.responseIds()[t]);
      }
    }
    ids.append(TOK.decode(out.stream().mapToInt(Integer::intValue).toArray()));
    return ids.toString();
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** ChatTemplate.Message is what observations are made of. */
  static ChatTemplate.Message tool(String content) {
    return new ChatTemplate.Message("tool", content);
  }
}
