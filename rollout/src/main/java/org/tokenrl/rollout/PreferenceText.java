package org.tokenrl.rollout;

/**
 * One preference pair as text: a prompt and two responses to it, {@code chosen} preferred over
 * {@code rejected}. Tokenize the prompt and each response separately and concatenate the ids
 * (docs/preference.md §1.2), so cached token weights line up with the training tokens.
 */
public record PreferenceText(String prompt, String chosen, String rejected) {
  public PreferenceText {
    if (prompt == null || chosen == null || rejected == null) {
      throw new IllegalArgumentException("preference pair fields must not be null");
    }
  }
}
