package org.tokenrl.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Maps text to token ids and back. Ids are dense in [0, vocabSize()). Two implementations: {@link
 * CharTokenizer} (one id per character; its special ids are never produced by {@link #encode}) and
 * {@link HfTokenizer} (a pretrained model's Hugging Face tokenizer; special tokens written in the
 * text are matched as special tokens, as HF {@code tokenizers} does by default).
 */
public interface Tokenizer {
  int[] encode(String text);

  /**
   * {@code text} alone, without the special tokens a tokenizer's post-processor may add (a Llama 3
   * BOS): what a prompt body, an answer or a reference is made of.
   */
  default int[] encodePlain(String text) {
    return encode(text);
  }

  /** Decodes ids to text, leaving out special tokens. */
  String decode(int[] ids);

  int vocabSize();

  /** Beginning-of-sequence id, or -1 when the model has none. */
  int bos();

  int eos();

  int pad();

  /** Ids that end a generated sequence: EOS and any other end-of-turn token the model declares. */
  default Set<Integer> stopIds() {
    return Set.of(eos());
  }

  /** The tokenizer's own string for each id (as in tokenizer.json, e.g. {@code Ġthe}). */
  default List<String> tokens(int[] ids) {
    List<String> out = new ArrayList<>(ids.length);
    for (int id : ids) {
      out.add(token(id));
    }
    return out;
  }

  /** The tokenizer's own string for one id. */
  String token(int id);

  /** A JSON document from which {@link Tokenizers#fromJson} rebuilds this tokenizer. */
  String toJson();
}
