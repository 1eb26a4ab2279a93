package org.tokenrl.trainer;

import java.util.Arrays;
import org.tokenrl.core.Tokenizer;

/** How examples become token ids: prompts start with BOS, answers end with EOS. */
record PromptCodec(Tokenizer tokenizer) {

  int[] prompt(String text) {
    int[] body = tokenizer.encode(text);
    int[] ids = new int[body.length + 1];
    ids[0] = tokenizer.bos();
    System.arraycopy(body, 0, ids, 1, body.length);
    return ids;
  }

  int[] answer(String text) {
    int[] body = tokenizer.encode(text);
    int[] ids = Arrays.copyOf(body, body.length + 1);
    ids[body.length] = tokenizer.eos();
    return ids;
  }

  String response(int[] ids) {
    return tokenizer.decode(ids);
  }
}
