package org.tokenrl.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;

/**
 * One token per character of a fixed alphabet, after three special tokens: PAD=0, BOS=1, EOS=2. The
 * alphabet is part of the checkpoint, so a model always decodes with the ids it was trained on.
 */
public final class CharTokenizer implements Tokenizer {
  /** Printable ASCII: enough for every built-in task and most JSONL data sets. */
  public static final String DEFAULT_ALPHABET = printableAscii();

  private static final int SPECIALS = 3;
  private final String alphabet;
  private final Map<Character, Integer> ids = new HashMap<>();

  public CharTokenizer(String alphabet) {
    this.alphabet = alphabet;
    for (int i = 0; i < alphabet.length(); i++) {
      if (ids.put(alphabet.charAt(i), SPECIALS + i) != null) {
        throw new IllegalArgumentException(
            "tokenizer alphabet repeats the character '" + alphabet.charAt(i) + "'");
      }
    }
  }

  public static CharTokenizer ascii() {
    return new CharTokenizer(DEFAULT_ALPHABET);
  }

  public String alphabet() {
    return alphabet;
  }

  @Override
  public int[] encode(String text) {
    int[] out = new int[text.length()];
    for (int i = 0; i < text.length(); i++) {
      Integer id = ids.get(text.charAt(i));
      if (id == null) {
        throw new IllegalArgumentException(
            "character '"
                + text.charAt(i)
                + "' (U+"
                + String.format("%04X", (int) text.charAt(i))
                + ") is not in the tokenizer alphabet; text: \""
                + text
                + "\"");
      }
      out[i] = id;
    }
    return out;
  }

  @Override
  public String decode(int[] tokens) {
    StringBuilder sb = new StringBuilder(tokens.length);
    for (int id : tokens) {
      if (id == eos()) {
        break;
      }
      if (id >= SPECIALS && id < vocabSize()) {
        sb.append(alphabet.charAt(id - SPECIALS));
      }
    }
    return sb.toString();
  }

  @Override
  public String token(int id) {
    return switch (id) {
      case 0 -> "<pad>";
      case 1 -> "<bos>";
      case 2 -> "<eos>";
      default -> String.valueOf(alphabet.charAt(id - SPECIALS));
    };
  }

  @Override
  public int vocabSize() {
    return SPECIALS + alphabet.length();
  }

  @Override
  public int pad() {
    return 0;
  }

  @Override
  public int bos() {
    return 1;
  }

  @Override
  public int eos() {
    return 2;
  }

  @Override
  public String toJson() {
    ObjectNode node = new ObjectMapper().createObjectNode();
    node.put("type", "char");
    node.put("alphabet", alphabet);
    return node.toString();
  }

  private static String printableAscii() {
    StringBuilder sb = new StringBuilder();
    for (char c = ' '; c <= '~'; c++) {
      sb.append(c);
    }
    return sb.toString();
  }
}
