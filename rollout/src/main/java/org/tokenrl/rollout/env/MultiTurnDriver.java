package org.tokenrl.rollout.env;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.model.Generation;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.RowSeeds;

/**
 * Runs multi-turn rollouts: the policy writes a turn, the row's environment answers, the answer is
 * rendered and appended, and the policy writes again, until the environment says done, {@code
 * max_turns} turns are written or a token budget runs out.
 *
 * <p>Each turn samples the rows still running in one batch per remaining budget (usually one),
 * every row with its own seed (turn 0 uses the row's seed, turn t {@code RowSeeds.mix(seed + t)}),
 * so a row's tokens depend neither on the other rows nor on how rows are spread over workers.
 * Tokens past a stop string or past a row's budget are dropped after sampling; since sampling is
 * left to right, what remains is distributed exactly as if generation had stopped there.
 *
 * <p>The policy's tokens keep their sampling log-probs and entropies and get mask true; the
 * environment's get 0, 0 and false. A turn cut by a budget ends the rollout as truncated without
 * asking the environment (a half-written tool call is not run).
 */
public final class MultiTurnDriver implements AutoCloseable {

  /** Samples one turn for several rows: {@code Policy::generate} fits. */
  @FunctionalInterface
  public interface TurnSampler {
    Generation generate(int[][] contexts, SamplingParams params, long[] seeds);
  }

  /**
   * One row to roll out.
   *
   * @param row the environment's task row
   * @param requestIds the prompt ids the task rendered (used as-is without a chat template)
   */
  public record Request(EnvRow row, int[] requestIds) {}

  private final MultiTurnSettings settings;
  private final EnvironmentFactory factory;
  private final TurnRenderer renderer;
  private final ExecutorService envThreads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "environment");
            t.setDaemon(true);
            return t;
          });

  public MultiTurnDriver(
      MultiTurnSettings settings, EnvironmentFactory factory, TurnRenderer renderer) {
    this.settings = settings;
    this.factory = factory;
    this.renderer = renderer;
  }

  public TurnRenderer renderer() {
    return renderer;
  }

  /** A row's state while it runs. */
  private final class Row {
    final Request request;
    final long seed;
    Environment env;
    TurnRenderer.Transcript transcript;
    int[] promptIds;
    final IntList response = new IntList();
    final List<Float> logprobs = new ArrayList<>();
    final List<Float> entropies = new ArrayList<>();
    final List<Boolean> mask = new ArrayList<>();
    final List<int[]> turns = new ArrayList<>();
    boolean truncated;
    double envReward;
    MultiTurnRollout.End end;
    String error;

    Row(Request request, long seed) {
      this.request = request;
      this.seed = seed;
    }

    boolean running() {
      return end == null;
    }

    int[] context() {
      int[] ids = Arrays.copyOf(promptIds, promptIds.length + response.size());
      System.arraycopy(response.toArray(), 0, ids, promptIds.length, response.size());
      return ids;
    }

    void append(int[] ids, float[] lps, float[] ents, boolean policy) {
      for (int t = 0; t < ids.length; t++) {
        response.add(ids[t]);
        logprobs.add(lps == null ? 0f : lps[t]);
        entropies.add(ents == null ? 0f : ents[t]);
        mask.add(policy);
      }
    }

    String where(int turn) {
      return "rollout.env '"
          + factory.name()
          + "': row "
          + request.row().row()
          + " (example "
          + request.row().exampleId()
          + ")"
          + (turn < 0 ? ", before the first turn" : ", turn " + (turn + 1));
    }

    void fail(int turn, String what, Throwable cause) {
      String message = where(turn) + ": " + what;
      if (settings.onError() == MultiTurnSettings.OnError.FAIL) {
        throw new EnvironmentException(
            message + " (rollout.env_on_error = zero gives the row reward 0 instead)", cause);
      }
      error = message;
      end = MultiTurnRollout.End.ERROR;
      envReward = Double.NaN;
    }

    MultiTurnRollout result() {
      int n = response.size();
      float[] lps = new float[n];
      float[] ents = new float[n];
      boolean[] m = new boolean[n];
      for (int t = 0; t < n; t++) {
        lps[t] = logprobs.get(t);
        ents[t] = entropies.get(t);
        m[t] = mask.get(t);
      }
      return new MultiTurnRollout(
          promptIds == null ? request.requestIds() : promptIds,
          response.toArray(),
          lps,
          ents,
          m,
          List.copyOf(turns),
          truncated,
          envReward,
          end,
          error);
    }
  }

  /**
   * Rolls out every request; {@code seeds[i]} is row i's seed, {@code params} the sampling settings
   * (its {@code maxNewTokens} is replaced by each turn's budget).
   */
  public List<MultiTurnRollout> run(
      List<Request> requests, TurnSampler sampler, SamplingParams params, long[] seeds) {
    int turnTokens = settings.turnTokens(params.maxNewTokens());
    int totalTokens = settings.totalTokens(params.maxNewTokens());
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      rows.add(start(requests.get(i), seeds[i]));
    }
    try {
      for (int turn = 0; turn < settings.maxTurns(); turn++) {
        // rows with the same budget left sample together: a row never gets positions past its
        // own budget, so prompt + max_total_tokens bounds every context the model sees
        java.util.TreeMap<Integer, List<Row>> byBudget = new java.util.TreeMap<>();
        for (Row r : rows) {
          if (r.running()) {
            int left = Math.min(turnTokens, totalTokens - r.response.size());
            if (left <= 0) {
              r.truncated = true;
              r.end = MultiTurnRollout.End.LENGTH;
              continue;
            }
            byBudget.computeIfAbsent(left, k -> new ArrayList<>()).add(r);
          }
        }
        if (byBudget.isEmpty()) {
          break;
        }
        for (var group : byBudget.entrySet()) {
          sampleTurn(
              group.getValue(), turn, group.getKey(), sampler, params, turnTokens, totalTokens);
        }
      }
      for (Row r : rows) {
        if (r.running()) {
          r.end = MultiTurnRollout.End.MAX_TURNS;
        }
      }
    } finally {
      for (Row r : rows) {
        if (r.env != null) {
          closeQuietly(r.env);
        }
      }
    }
    return rows.stream().map(Row::result).toList();
  }

  private Row start(Request request, long seed) {
    Row r = new Row(request, seed);
    try {
      r.env = call(() -> factory.create(request.row()));
      List<java.util.Map<String, Object>> tools = r.env.tools();
      ToolSchemas.check(tools);
      r.transcript = renderer.start(request.row().messages(), tools);
      r.promptIds = renderer.promptIds(r.transcript, request.requestIds());
    } catch (StepFailure e) {
      r.fail(-1, e.getMessage(), e.getCause());
      r.promptIds = request.requestIds();
    } catch (IllegalArgumentException e) {
      r.fail(-1, "bad tool definition: " + e.getMessage(), e);
      r.promptIds = request.requestIds();
    }
    return r;
  }

  private void sampleTurn(
      List<Row> active,
      int turn,
      int budget,
      TurnSampler sampler,
      SamplingParams params,
      int turnTokens,
      int totalTokens) {
    int[][] contexts = new int[active.size()][];
    long[] seeds = new long[active.size()];
    for (int j = 0; j < active.size(); j++) {
      contexts[j] = active.get(j).context();
      seeds[j] = turn == 0 ? active.get(j).seed : RowSeeds.mix(active.get(j).seed + turn);
    }
    SamplingParams turnParams =
        new SamplingParams(
            params.temperature(),
            params.topK(),
            params.topP(),
            budget,
            params.eosId(),
            params.greedy(),
            params.stopIds());
    Generation g = sampler.generate(contexts, turnParams, seeds);
    for (int j = 0; j < active.size(); j++) {
      Row r = active.get(j);
      int left = Math.min(turnTokens, totalTokens - r.response.size());
      int[] ids = g.responses()[j];
      int keep = Math.min(ids.length, left);
      int cut = stopStringEnd(ids, keep);
      boolean stopped;
      if (cut >= 0) {
        keep = cut;
        stopped = true;
      } else {
        stopped = keep == ids.length && ids.length > 0 && params.stops(ids[ids.length - 1]);
      }
      int[] kept = Arrays.copyOf(ids, keep);
      int from = r.response.size();
      r.append(
          kept, Arrays.copyOf(g.logprobs()[j], keep), Arrays.copyOf(g.entropies()[j], keep), true);
      r.turns.add(new int[] {from, r.response.size()});
      if (!stopped) {
        r.truncated = true;
        r.end = MultiTurnRollout.End.LENGTH;
        continue;
      }
      answer(r, turn, kept, totalTokens);
    }
  }

  /** Lets the environment answer turn {@code turn} and appends its observation. */
  private void answer(Row r, int turn, int[] ids, int totalTokens) {
    boolean last = turn == settings.maxTurns() - 1;
    String text = renderer.text(ids);
    List<ChatTemplate.Message> messages = new ArrayList<>(r.transcript.messages());
    messages.add(new ChatTemplate.Message("assistant", text));
    EnvTurn envTurn =
        new EnvTurn(
            turn, text, ids, List.copyOf(messages), r.promptIds, r.response.toArray(), last);
    EnvStep step;
    try {
      step = call(() -> r.env.step(envTurn));
      if (step == null) {
        throw new StepFailure("step returned null", null);
      }
    } catch (StepFailure e) {
      r.fail(turn, e.getMessage(), e.getCause());
      return;
    }
    r.envReward += step.reward();
    if (step.done()) {
      r.end = MultiTurnRollout.End.DONE;
      return;
    }
    if (last) {
      return; // max_turns: nothing is appended after the last policy turn
    }
    int[] delta;
    try {
      delta = renderer.observation(r.transcript, ids, step.observation());
    } catch (RuntimeException e) {
      r.fail(turn, "cannot render the observation: " + e.getMessage(), e);
      return;
    }
    if (r.response.size() + delta.length > totalTokens) {
      r.truncated = true;
      r.end = MultiTurnRollout.End.LENGTH;
      return;
    }
    r.append(delta, null, null, false);
  }

  /**
   * The number of tokens to keep when a stop string ends within the first {@code limit} ids: up to
   * and including the token that completes it; -1 when none does.
   */
  private int stopStringEnd(int[] ids, int limit) {
    if (settings.stopStrings().isEmpty() || limit == 0) {
      return -1;
    }
    String all = renderer.rawText(Arrays.copyOf(ids, limit));
    if (settings.stopStrings().stream().noneMatch(all::contains)) {
      return -1;
    }
    for (int k = 1; k <= limit; k++) {
      String prefix = renderer.rawText(Arrays.copyOf(ids, k));
      for (String stop : settings.stopStrings()) {
        if (prefix.contains(stop)) {
          return k;
        }
      }
    }
    return -1;
  }

  /** A failed environment call: its one-line reason. */
  private static final class StepFailure extends Exception {
    StepFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Runs an environment call on a helper thread, bounded by rollout.env_timeout_s. */
  private <T> T call(java.util.concurrent.Callable<T> body) throws StepFailure {
    Future<T> f = envThreads.submit(body);
    try {
      return f.get(Math.round(settings.timeoutSeconds() * 1000), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new StepFailure(
          "timed out after " + settings.timeoutSeconds() + " s (rollout.env_timeout_s)", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof EnvironmentException) {
        throw new StepFailure(c.getMessage(), c); // already one line (e.g. the Python worker's)
      }
      String msg =
          c.getMessage() == null ? "" : ": " + c.getMessage().lines().findFirst().orElse("");
      throw new StepFailure("raised " + c.getClass().getSimpleName() + msg, c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("rollout interrupted", e);
    }
  }

  private static void closeQuietly(Environment env) {
    try {
      env.close();
    } catch (RuntimeException e) {
      // a failing close must not hide the rollout's result
    }
  }

  @Override
  public void close() {
    envThreads.shutdownNow();
  }

  /** A growable int array. */
  private static final class IntList {
    private int[] a = new int[64];
    private int n;

    void add(int v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, 2 * n);
      }
      a[n++] = v;
    }

    int size() {
      return n;
    }

    int[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }
}
