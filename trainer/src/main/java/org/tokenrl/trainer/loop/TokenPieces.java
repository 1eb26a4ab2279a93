package org.tokenrl.trainer.loop;

import org.tokenrl.core.Tokenizer;

/**
 * One token as the text a reader sees in credit tables and pages: its decoded piece with blanks
 * made visible (␣ for a space, ⏎ for a newline), ⟨eos⟩ for the end token, and ⟨id⟩ for a token that
 * decodes to nothing (another special token). A subword tokenizer's pieces show where words split
 * ("␣Paris", "ian").
 */
public final class TokenPieces {
  private TokenPieces() {}

  public static String piece(int id, Tokenizer tokenizer) {
    if (id == tokenizer.eos()) {
      return "⟨eos⟩";
    }
    String s = tokenizer.decode(new int[] {id});
    return s.isEmpty() ? "⟨" + id + "⟩" : s.replace(" ", "␣").replace("\n", "⏎");
  }
}
