package org.tokenrl.trainer.loop;

import java.util.List;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.Task;
import org.tokenrl.trainer.setup.PromptCodec;

/**
 * Held-out exact-match accuracy with greedy decoding, judged by the task's verifier. With {@code
 * rollout.env} the held-out prompts are rolled out turn by turn with the environment too (greedy,
 * the same budgets), and the verifier judges the policy's last turn.
 */
public final class Evaluator {
  private static final int CHUNK = 128;
  private final Task task;
  private final List<Example> heldOut;
  private final PromptCodec codec;
  private final int maxNewTokens;
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

  /** Keeps the first {@code n} greedy answers of each evaluation for {@link #samples()}. */
  Evaluator keepSamples(int n) {
    this.keepSamples = n;
    return this;
  }

  /** Evaluates multi-turn rollouts with {@code driver} ({@code rollout.env}); null: single-turn. */
  Evaluator withMultiTurn(org.tokenrl.rollout.env.MultiTurnDriver driver) {
    this.multiTurn = driver == null ? null : new MultiTurnEval(driver, codec);
    return this;
  }

  /** The first greedy answers of the last evaluation (for the TEXT tab). */
  List<SampleTable.EvalRow> samples() {
    return samples;
  }

  public double accuracy(Policy policy) {
    if (heldOut.isEmpty()) {
      return Double.NaN;
    }
    SamplingParams greedy =
        new SamplingParams(1.0, 0, 1.0, maxNewTokens, codec.tokenizer().eos(), true);
    int correct = 0;
    List<SampleTable.EvalRow> kept = new java.util.ArrayList<>();
    for (int from = 0; from < heldOut.size(); from += CHUNK) {
      List<Example> chunk = heldOut.subList(from, Math.min(heldOut.size(), from + CHUNK));
      int[][] prompts = new int[chunk.size()][];
      for (int i = 0; i < chunk.size(); i++) {
        prompts[i] = codec.prompt(chunk.get(i));
      }
      int[][] responses = responses(policy, chunk, prompts, greedy);
      for (int i = 0; i < chunk.size(); i++) {
        String response = codec.response(responses[i]);
        boolean ok = task.isCorrect(chunk.get(i), response);
        if (ok) {
          correct++;
        }
        if (kept.size() < keepSamples) {
          kept.add(
              new SampleTable.EvalRow(chunk.get(i).prompt(), response, chunk.get(i).answer(), ok));
        }
      }
    }
    samples = kept;
    return (double) correct / heldOut.size();
  }

  /** The judged ids: the greedy completion, or a multi-turn rollout's last policy turn. */
  private int[][] responses(
      Policy policy, List<Example> chunk, int[][] prompts, SamplingParams greedy) {
    long[] seeds = new long[chunk.size()];
    return multiTurn == null
        ? policy.generate(prompts, greedy, seeds).responses()
        : multiTurn.judged(policy, chunk, prompts, greedy, seeds);
  }

  /**
   * {@code eval/accuracy} (greedy), and with {@code rollout.env} {@code eval/multi_turn_frac}: the
   * metrics of one evaluation.
   */
  public java.util.Map<String, Double> evaluate(Policy policy) {
    java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
    m.put(org.tokenrl.core.Metrics.EVAL_ACCURACY, accuracy(policy));
    if (multiTurn != null) {
      m.put(org.tokenrl.core.Metrics.EVAL_MULTI_TURN_FRAC, multiTurn.takeFraction());
    }
    return m;
  }

  public int size() {
    return heldOut.size();
  }
}
