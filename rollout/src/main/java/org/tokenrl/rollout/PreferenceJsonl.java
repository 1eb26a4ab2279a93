package org.tokenrl.rollout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tokenrl.core.ConfigException;

/**
 * Preference pairs from a JSON Lines file, one {@code {"prompt": ..., "chosen": ..., "rejected":
 * ...}} object per line (other fields ignored, blank lines skipped). All three are printable ASCII;
 * the responses must be non-empty and differ, since an empty response has no tokens to score and
 * identical responses give DPO nothing to learn (docs/preference.md §2.1).
 */
public final class PreferenceJsonl {
  private static final String SHAPE = "{\"prompt\": ..., \"chosen\": ..., \"rejected\": ...}";

  private PreferenceJsonl() {}

  /**
   * Reads every pair of {@code file}, in file order.
   *
   * @throws ConfigException naming {@code file:line} for a malformed line, or a missing file
   */
  public static List<PreferenceText> read(Path file) {
    String shown = file.toString();
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(
          "preference data " + shown + " not found (looked for " + file.toAbsolutePath() + ")");
    }
    List<PreferenceText> pairs = new ArrayList<>();
    for (JsonLines.Line line : JsonLines.read(file, shown, SHAPE)) {
      String prompt = line.text("prompt");
      String chosen = line.text("chosen");
      String rejected = line.text("rejected");
      if (chosen.isEmpty() || rejected.isEmpty()) {
        throw new ConfigException(
            line.where()
                + ": \""
                + (chosen.isEmpty() ? "chosen" : "rejected")
                + "\" is empty; both responses need at least one character to be scored");
      }
      if (chosen.equals(rejected)) {
        throw new ConfigException(
            line.where()
                + ": \"chosen\" and \"rejected\" are the same (\""
                + chosen
                + "\"); a pair needs two different responses");
      }
      pairs.add(new PreferenceText(prompt, chosen, rejected));
    }
    return pairs;
  }
}
