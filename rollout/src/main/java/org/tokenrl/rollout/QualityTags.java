package org.tokenrl.rollout;

import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigReader;

/**
 * The two quality tags put before a prompt ({@code good:47+38=}, {@code bad:47+38=}), so that a
 * small model trained from scratch learns what "a better answer" and "a worse answer" mean and
 * T-REG's contrastive prompting (docs/preference.md §3.1) has two prompts to compare.
 *
 * <p>Tags are plain prefixes, non-empty, printable ASCII, and neither is a prefix of the other, so
 * a tagged prompt always says which tag it carries.
 */
public record QualityTags(String goodTag, String badTag) {
  /** The placeholder in a template that stands for the untagged prompt text. */
  public static final String PROMPT_PLACEHOLDER = "{prompt}";

  public static final String DEFAULT_GOOD_TAG = "good:";
  public static final String DEFAULT_BAD_TAG = "bad:";

  public QualityTags {
    check("good tag", goodTag);
    check("bad tag", badTag);
    if (goodTag.startsWith(badTag) || badTag.startsWith(goodTag)) {
      throw new IllegalArgumentException(
          "quality tags \""
              + goodTag
              + "\" and \""
              + badTag
              + "\" must differ and neither may"
              + " start with the other, or a tagged prompt would be ambiguous");
    }
  }

  /** Reads {@code good_tag} and {@code bad_tag} of a task block (defaults "good:" and "bad:"). */
  public static QualityTags read(ConfigReader config) {
    String good = config.has("good_tag") ? config.string("good_tag") : DEFAULT_GOOD_TAG;
    String bad = config.has("bad_tag") ? config.string("bad_tag") : DEFAULT_BAD_TAG;
    try {
      return new QualityTags(good, bad);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "config error: '"
              + config.fullKey("good_tag")
              + "'/'"
              + config.fullKey("bad_tag")
              + "': "
              + e.getMessage(),
          e);
    }
  }

  public String good(String prompt) {
    return goodTag + prompt;
  }

  public String bad(String prompt) {
    return badTag + prompt;
  }

  /** {@code goodTag + "{prompt}"}: T-REG's better-response template for tagged tasks. */
  public String goodTemplate() {
    return goodTag + PROMPT_PLACEHOLDER;
  }

  /** {@code badTag + "{prompt}"}: T-REG's worse-response template for tagged tasks. */
  public String badTemplate() {
    return badTag + PROMPT_PLACEHOLDER;
  }

  /**
   * {@code prompt} without its quality tag, or unchanged if it carries neither tag. Use it to
   * recover the untagged prompt for {@link #apply}.
   */
  public String strip(String prompt) {
    if (prompt.startsWith(goodTag)) {
      return prompt.substring(goodTag.length());
    }
    if (prompt.startsWith(badTag)) {
      return prompt.substring(badTag.length());
    }
    return prompt;
  }

  /**
   * Fills a T-REG template: every {@code {prompt}} in {@code template} becomes {@code prompt}, the
   * untagged prompt text. {@code apply("good:{prompt}", "47+38=")} is {@code "good:47+38="}.
   *
   * @throws IllegalArgumentException if the template has no {@code {prompt}}
   */
  public static String apply(String template, String prompt) {
    if (!template.contains(PROMPT_PLACEHOLDER)) {
      throw new IllegalArgumentException(
          "prompt template \""
              + template
              + "\" has no "
              + PROMPT_PLACEHOLDER
              + " placeholder for the prompt text (e.g. \"good:{prompt}\")");
    }
    return template.replace(PROMPT_PLACEHOLDER, prompt);
  }

  private static void check(String what, String tag) {
    if (tag == null || tag.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    if (Example.firstNonPrintable(tag) >= 0) {
      throw new IllegalArgumentException(Example.describeNonPrintable(what, tag));
    }
  }
}
