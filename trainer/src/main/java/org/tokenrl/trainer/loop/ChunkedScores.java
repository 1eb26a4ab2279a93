package org.tokenrl.trainer.loop;

import java.util.Arrays;
import org.tokenrl.model.Policy;

/** Per-token log-probs of many sequences, scored a bounded number of rows per forward pass. */
public final class ChunkedScores {
  /** Rows per forward pass: keeps the [rows x length x vocab] activations small. */
  public static final int CHUNK = 256;

  private ChunkedScores() {}

  /** log p(responses[i][t] | prompts[i], responses[i][<t]) at temperature 1. */
  public static double[][] logprobs(Policy policy, int[][] prompts, int[][] responses) {
    double[][] out = new double[responses.length][];
    for (int from = 0; from < responses.length; from += CHUNK) {
      int to = Math.min(responses.length, from + CHUNK);
      double[][] part =
          policy
              .score(
                  Arrays.copyOfRange(prompts, from, to),
                  Arrays.copyOfRange(responses, from, to),
                  1.0)
              .logprobs();
      System.arraycopy(part, 0, out, from, part.length);
    }
    return out;
  }
}
