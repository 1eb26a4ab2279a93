package org.tokenrl.trainer;

import java.util.List;
import org.tokenrl.model.Generation;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.Task;

/** Held-out exact-match accuracy with greedy decoding, judged by the task's verifier. */
final class Evaluator {
  private static final int CHUNK = 128;
  private final Task task;
  private final List<Example> heldOut;
  private final PromptCodec codec;
  private final int maxNewTokens;

  Evaluator(Task task, int evalSize, PromptCodec codec, int maxNewTokens) {
    this.task = task;
    List<Example> all = task.heldOut();
    this.heldOut = evalSize > 0 && evalSize < all.size() ? all.subList(0, evalSize) : all;
    this.codec = codec;
    this.maxNewTokens = maxNewTokens;
  }

  double accuracy(Policy policy) {
    if (heldOut.isEmpty()) {
      return Double.NaN;
    }
    SamplingParams greedy =
        new SamplingParams(1.0, 0, 1.0, maxNewTokens, codec.tokenizer().eos(), true);
    int correct = 0;
    for (int from = 0; from < heldOut.size(); from += CHUNK) {
      List<Example> chunk = heldOut.subList(from, Math.min(heldOut.size(), from + CHUNK));
      int[][] prompts = new int[chunk.size()][];
      for (int i = 0; i < chunk.size(); i++) {
        prompts[i] = codec.prompt(chunk.get(i).prompt());
      }
      Generation g = policy.generate(prompts, greedy, new long[chunk.size()]);
      for (int i = 0; i < chunk.size(); i++) {
        if (task.isCorrect(chunk.get(i), codec.response(g.responses()[i]))) {
          correct++;
        }
      }
    }
    return (double) correct / heldOut.size();
  }

  int size() {
    return heldOut.size();
  }
}
