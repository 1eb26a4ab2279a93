package org.tokenrl.trainer.loop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.Metrics;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.RowSeeds;
import org.tokenrl.rollout.Task;
import org.tokenrl.trainer.setup.PromptCodec;

/**
 * Held-out evaluation judged by the task's verifier: greedy exact-match accuracy ({@code
 * eval/accuracy}), and with {@link Sampled#samples} n &gt; 1 also n sampled responses per prompt,
 * scored as pass@k, avg@n and maj@n (docs/evaluation.md). With {@code rollout.env} the held-out
 * prompts are rolled out turn by turn with the environment (the same budgets), and the verifier
 * judges the policy's last turn.
 */
public final class Evaluator {
  /** Rows (prompt × sample) per generate call: bounds the KV cache, fixes the batch layout. */
  private static final int CHUNK = 128;

  /** Mixed into the eval seed so evaluation never draws the training rollouts' random numbers. */
  private static final long EVAL_SALT = 0x6576616C5F6B6BL; // "eval_kk"

  /**
   * How the sampled evaluation draws: {@code trainer.eval_samples}, {@code eval_temperature},
   * {@code eval_top_p}, {@code eval_top_k}. Sample j of held-out example i uses the seed {@link
   * RowSeeds#of}(mix(seed ^ salt), i, j): the same checkpoint gives the same numbers every time, in
   * training and in {@code ./tokenrl eval}, whatever else the run sampled before.
   *
   * @param samples n; 1 = greedy accuracy only
   */
  public record Sampled(int samples, double temperature, double topP, int topK, long seed) {
    public static final Sampled GREEDY_ONLY = new Sampled(1, 1.0, 1.0, 0, 0);

    public Sampled {
      if (samples < 1) {
        throw new IllegalArgumentException("eval samples must be >= 1, got " + samples);
      }
    }

    long rowSeed(int example, int sample) {
      return RowSeeds.of(RowSeeds.mix(seed ^ EVAL_SALT), example, sample);
    }
  }

  private final Task task;
  private final List<Example> heldOut;
  private final PromptCodec codec;
  private final int maxNewTokens;
  private Sampled sampled = Sampled.GREEDY_ONLY;
  private int keepSamples;
  private List<SampleTable.EvalRow> samples = List.of();
  private MultiTurnEval multiTurn; // rollout.env; null: single-turn

  public Evaluator(Task task, int evalSize, PromptCodec codec, int maxNewTokens) {
    this.task = task;
    List<Example> all = task.heldOut();
    this.heldOut = evalSize > 0 && evalSize < all.size() ? all.subList(0, evalSize) : all;
    this.codec = codec;
    this.maxNewTokens = maxNewTokens;
  }

  /** Also samples {@code s.samples()} responses per prompt at each {@link #evaluate}. */
  public Evaluator sampled(Sampled s) {
    this.sampled = s;
    return this;
  }

  /** Keeps the first {@code n} greedy answers of each evaluation for {@link #samples()}. */
  Evaluator keepSamples(int n) {
    this.keepSamples = n;
    return this;
  }

  /** Evaluates multi-turn rollouts with {@code driver} ({@code rollout.env}); null: single-turn. */
  public Evaluator withMultiTurn(org.tokenrl.rollout.env.MultiTurnDriver driver) {
    this.multiTurn = driver == null ? null : new MultiTurnEval(driver, codec);
    return this;
  }

  /** The first greedy answers of the last evaluation (for the TEXT tab). */
  List<SampleTable.EvalRow> samples() {
    return samples;
  }

  /** Greedy accuracy alone (NaN without held-out examples). */
  public double accuracy(Policy policy) {
    if (heldOut.isEmpty()) {
      return Double.NaN;
    }
    SamplingParams greedy =
        new SamplingParams(1.0, 0, 1.0, maxNewTokens, codec.tokenizer().eos(), true);
    List<Response> responses = generate(policy, greedy, 1);
    int correct = 0;
    List<SampleTable.EvalRow> kept = new ArrayList<>();
    for (int i = 0; i < heldOut.size(); i++) {
      Response r = responses.get(i);
      if (r.correct()) {
        correct++;
      }
      if (kept.size() < keepSamples) {
        Example e = heldOut.get(i);
        kept.add(new SampleTable.EvalRow(codec.promptText(e), r.text(), e.answer(), r.correct()));
      }
    }
    samples = kept;
    return (double) correct / heldOut.size();
  }

  /**
   * {@code eval/accuracy} (greedy), and when sampling n &gt; 1 responses per prompt: {@code
   * eval/pass@k} for k in {@link SampledScores#ladder}(n), {@code eval/avg@n} and {@code
   * eval/maj@n}, each a mean over the held-out prompts.
   */
  public Map<String, Double> evaluate(Policy policy) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(Metrics.EVAL_ACCURACY, accuracy(policy));
    if (multiTurn != null) { // over the greedy rollouts only
      m.put(Metrics.EVAL_MULTI_TURN_FRAC, multiTurn.takeFraction());
    }
    if (sampled.samples() > 1 && !heldOut.isEmpty()) {
      m.putAll(sampledScores(policy));
    }
    return m;
  }

  /** n sampled responses per prompt, scored per prompt and averaged over the prompts. */
  Map<String, Double> sampledScores(Policy policy) {
    int n = sampled.samples();
    SamplingParams params =
        new SamplingParams(
            sampled.temperature(),
            sampled.topK(),
            sampled.topP(),
            maxNewTokens,
            codec.tokenizer().eos(),
            false);
    List<Response> responses = generate(policy, params, n);
    List<Integer> ks = SampledScores.ladder(n);
    double[] pass = new double[ks.size()];
    double avg = 0;
    double maj = 0;
    for (int i = 0; i < heldOut.size(); i++) {
      List<Response> mine = responses.subList(i * n, (i + 1) * n);
      int c = (int) mine.stream().filter(Response::correct).count();
      for (int j = 0; j < ks.size(); j++) {
        pass[j] += SampledScores.passAtK(n, c, ks.get(j));
      }
      avg += (double) c / n;
      int winner = SampledScores.majority(mine.stream().map(Response::answer).toList());
      maj += mine.get(winner).correct() ? 1 : 0;
    }
    Map<String, Double> m = new LinkedHashMap<>();
    for (int j = 0; j < ks.size(); j++) {
      m.put(Metrics.evalPassAt(ks.get(j)), pass[j] / heldOut.size());
    }
    m.put(Metrics.evalAvgAt(n), avg / heldOut.size());
    m.put(Metrics.evalMajAt(n), maj / heldOut.size());
    return m;
  }

  /** One response, judged: its text, the answer the task reads from it, the verdict. */
  private record Response(String text, String answer, boolean correct) {}

  /**
   * {@code perPrompt} responses to each held-out prompt, prompt-major (row i·perPrompt + j is
   * sample j of prompt i), in chunks of {@link #CHUNK} rows, each row with its own seed.
   */
  private List<Response> generate(Policy policy, SamplingParams params, int perPrompt) {
    int rows = heldOut.size() * perPrompt;
    int[][] prompts = new int[heldOut.size()][];
    for (int i = 0; i < heldOut.size(); i++) {
      prompts[i] = codec.prompt(heldOut.get(i));
    }
    List<Response> out = new ArrayList<>(rows);
    for (int from = 0; from < rows; from += CHUNK) {
      int size = Math.min(rows, from + CHUNK) - from;
      int[][] chunk = new int[size][];
      long[] seeds = new long[size];
      for (int r = 0; r < size; r++) {
        int example = (from + r) / perPrompt;
        chunk[r] = prompts[example];
        seeds[r] = params.greedy() ? 0 : sampled.rowSeed(example, (from + r) % perPrompt);
      }
      int[][] ids = responses(policy, from, size, perPrompt, chunk, params, seeds);
      for (int r = 0; r < size; r++) {
        Example e = heldOut.get((from + r) / perPrompt);
        String text = codec.response(ids[r]);
        out.add(new Response(text, task.answerOf(e, text), task.isCorrect(e, text)));
      }
    }
    return out;
  }

  /**
   * The judged ids of rows [from, from + size): each completion, or a multi-turn rollout's last
   * policy turn.
   */
  private int[][] responses(
      Policy policy,
      int from,
      int size,
      int perPrompt,
      int[][] prompts,
      SamplingParams params,
      long[] seeds) {
    if (multiTurn == null) {
      return policy.generate(prompts, params, seeds).responses();
    }
    List<Example> examples = new ArrayList<>(size);
    for (int r = 0; r < size; r++) {
      examples.add(heldOut.get((from + r) / perPrompt));
    }
    return multiTurn.judged(policy, examples, prompts, params, seeds);
  }

  public int size() {
    return heldOut.size();
  }

  /** The sampled evaluation's settings ({@link Sampled#GREEDY_ONLY} unless set). */
  public Sampled sampling() {
    return sampled;
  }
}
