package org.tokenrl.core;

/**
 * Maps text to token ids and back. Ids are dense in [0, vocabSize()); the three special ids are
 * never produced by {@link #encode} and are dropped by {@link #decode}.
 */
public interface Tokenizer {
  int[] encode(String text);

  /** Decodes ids, skipping BOS/PAD and stopping at the first EOS. */
  String decode(int[] ids);

  int vocabSize();

  int bos();

  int eos();

  int pad();

  /** A JSON document from which {@link Tokenizers#fromJson} rebuilds this tokenizer. */
  String toJson();
}
