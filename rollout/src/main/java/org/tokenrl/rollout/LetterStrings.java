package org.tokenrl.rollout;

import java.util.Random;
import org.tokenrl.core.ConfigReader;

/** Random lowercase strings with a length in [min_len, max_len], for the letter tasks. */
record LetterStrings(int minLen, int maxLen) {
  static final int LETTERS = 26;

  static LetterStrings read(ConfigReader config) {
    int maxLen = config.integer("max_len", 1, 1000);
    return new LetterStrings(config.integer("min_len", 1, maxLen), maxLen);
  }

  String draw(Random random) {
    int length = minLen + random.nextInt(maxLen - minLen + 1);
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append((char) ('a' + random.nextInt(LETTERS)));
    }
    return text.toString();
  }

  /** How many distinct strings the lengths allow. */
  double strings() {
    double total = 0;
    for (int length = minLen; length <= maxLen; length++) {
      total += Math.pow(LETTERS, length);
    }
    return total;
  }

  /** How many distinct letter multisets (strings up to reordering) the lengths allow. */
  double multisets() {
    double total = 0;
    for (int length = minLen; length <= maxLen; length++) {
      // C(length + 25, 25): multisets of `length` letters from 26.
      double count = 1;
      for (int i = 1; i < LETTERS; i++) {
        count = count * (length + i) / i;
      }
      total += count;
    }
    return total;
  }

  String describe() {
    return minLen == maxLen ? minLen + " letters" : minLen + " to " + maxLen + " letters";
  }
}
