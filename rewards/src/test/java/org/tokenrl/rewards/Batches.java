package org.tokenrl.rewards;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.tokenrl.core.CharTokenizer;

/** Builds small RewardInputs for tests, tokenized with the real character tokenizer. */
final class Batches {
  // Printable ASCII plus the few other characters the tests use.
  private static final CharTokenizer TOKENIZER =
      new CharTokenizer(CharTokenizer.DEFAULT_ALPHABET + "\t\n«»—¿í");

  private Batches() {}

  /** One group of responses to prompt "q", without references or verifier. */
  static RewardInput responses(String... responses) {
    int rows = responses.length;
    return of(rows, List.of(responses), Collections.nCopies(rows, null), null);
  }

  /** One group, responses paired with references. */
  static RewardInput pairs(List<String> responses, List<String> references) {
    return of(responses.size(), responses, references, null);
  }

  static RewardInput of(
      int groupSize, List<String> responses, List<String> references, RowVerifier verifier) {
    int rows = responses.size();
    int[][] promptIds = new int[rows][];
    int[][] responseIds = new int[rows][];
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      String prompt = "q" + (i / groupSize);
      prompts.add(prompt);
      promptIds[i] = TOKENIZER.encode(prompt);
      responseIds[i] = TOKENIZER.encode(responses.get(i));
    }
    boolean[] truncated = new boolean[rows];
    return new RewardInput(
        groupSize, promptIds, responseIds, prompts, responses, references, truncated, verifier);
  }
}
