package org.tokenrl.trainer.loop;

import java.util.List;
import org.tokenrl.model.Generation;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.Task;
import org.tokenrl.trainer.setup.PromptCodec;

/** Held-out exact-match accuracy with greedy decoding, judged by the task's verifier. */
public final class Evaluator {
  private static final int CHUNK = 128;
  private final Task task;
  private final List<Example> heldOut;
  private final PromptCodec codec;
  private final int maxNewTokens;
  private int keepSamples;
  private List<SampleTable.EvalRow> samples = List.of();

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
      Generation g = policy.generate(prompts, greedy, new long[chunk.size()]);
      for (int i = 0; i < chunk.size(); i++) {
        String response = codec.response(g.responses()[i]);
        boolean ok = task.isCorrect(chunk.get(i), response);
        if (ok) {
          correct++;
        }
        if (kept.size() < keepSamples) {
          kept.add(
              new SampleTable.EvalRow(
                  codec.promptText(chunk.get(i)), response, chunk.get(i).answer(), ok));
        }
      }
    }
    samples = kept;
    return (double) correct / heldOut.size();
  }

  public int size() {
    return heldOut.size();
  }
}
