package org.tokenrl.tools.credit;

import java.util.List;
import java.util.Locale;
import org.tokenrl.core.StepRollouts;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.trainer.loop.TokenPieces;

/**
 * The page of what one RL step of a run trained on, from its saved rollouts ({@code
 * rollouts/step-NNNNNN.arrow}): per group the prompt as the model saw it, then each response's
 * tokens coloured by their advantage (blue positive, red negative, white 0, saturated at the page's
 * largest |A|), struck through when out of the loss, grey when an environment or tool wrote them (a
 * multi-turn rollout's tool results and template tokens), with the reward (total and per component)
 * and the verifier's verdict. Groups left out of the update (dynamic_sampling = drop) and truncated
 * responses are marked. Self-contained: no scripts, no network resources.
 */
public final class RunCreditHtml {
  private RunCreditHtml() {}

  /**
   * The page for {@code groups} (indices into the step's groups) of {@code step}.
   *
   * @param title e.g. the run directory and step
   */
  public static String render(
      String title, StepRollouts step, List<Integer> groups, Tokenizer tokenizer) {
    int g = step.groupSize();
    double maxAbs = 0;
    for (int group : groups) {
      for (int i = group * g; i < (group + 1) * g; i++) {
        for (float a : step.rows().get(i).advantages()) {
          maxAbs = Math.max(maxAbs, Math.abs(a));
        }
      }
    }
    double scale = maxAbs > 0 ? maxAbs : 1;
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tokenrl credit: ")
        .append(CreditHtml.escape(title))
        .append("</title>\n<style>\n")
        .append("body{font-family:sans-serif;margin:1.5em;max-width:70em}")
        .append(
            ".tok{display:inline-block;font-family:monospace;padding:1px 4px;margin:1px;border:1px"
                + " solid #ccc;border-radius:3px}")
        .append(".drop{text-decoration:line-through;opacity:.45}")
        .append(".env{background:#e4e4e4!important;color:#8a8a8a!important;font-style:italic}")
        .append(".prompt{font-family:monospace;white-space:pre-wrap;background:#f6f6f6;")
        .append("padding:.4em;border-radius:3px}")
        .append(".badge{font-size:.8em;padding:1px 6px;border-radius:8px;margin-left:.4em}")
        .append(".out{background:#fde2c8}.cut{background:#e8e0f5}.ok{background:#d7f0d7}")
        .append(".left{opacity:.6}")
        .append("table{border-collapse:collapse;margin-bottom:1.2em}")
        .append("td{padding:2px 6px;vertical-align:top}")
        .append(
            ".bar{display:inline-block;width:240px;height:14px;vertical-align:middle;"
                + "background:linear-gradient(to right,")
        .append(CreditHtml.css(CreditHtml.color(-1)))
        .append(',')
        .append(CreditHtml.css(CreditHtml.color(0)))
        .append(',')
        .append(CreditHtml.css(CreditHtml.color(1)))
        .append(")}</style></head><body>\n");
    h.append("<h1>").append(CreditHtml.escape(title)).append("</h1>\n");
    h.append("<p>")
        .append(CreditHtml.escape(step.metadata().getOrDefault("algorithm", "")))
        .append(", step ")
        .append(CreditHtml.escape(step.metadata().getOrDefault("step", "?")))
        .append(" (RL step ")
        .append(CreditHtml.escape(step.metadata().getOrDefault("phase_step", "?")))
        .append("), ")
        .append(step.rows().size() / g)
        .append(" groups of ")
        .append(g)
        .append(". Legend: A = ")
        .append(fmt(-scale))
        .append(" <span class=\"bar\"></span> A = ")
        .append(fmt(scale))
        .append(" &nbsp; <span class=\"tok drop\">struck</span> not in the loss")
        .append(" &nbsp; <span class=\"tok env\">env</span> written by an environment or tool")
        .append(" &nbsp; <span class=\"badge out\">left out of the update</span>")
        .append(" <span class=\"badge cut\">truncated</span> (hover a token for its id, A and")
        .append(" logp_old)</p>\n");
    List<String> components = step.components();
    for (int group : groups) {
      StepRollouts.Row first = step.rows().get(group * g);
      boolean inUpdate = first.inUpdate();
      h.append("<h2")
          .append(inUpdate ? "" : " class=\"left\"")
          .append(">group ")
          .append(group)
          .append(inUpdate ? "" : "<span class=\"badge out\">left out of the update</span>")
          .append("</h2>\n<div class=\"prompt\">")
          .append(CreditHtml.escape(first.promptText()))
          .append("</div>\n");
      if (!first.rollout().reference().isEmpty()) {
        h.append("<p>reference answer: <code>")
            .append(CreditHtml.escape(first.rollout().reference()))
            .append("</code></p>\n");
      }
      h.append("<table>\n");
      for (int i = group * g; i < (group + 1) * g; i++) {
        StepRollouts.Row row = step.rows().get(i);
        h.append("<tr")
            .append(inUpdate ? "" : " class=\"left\"")
            .append("><td>#")
            .append(i - group * g)
            .append("</td><td>r = ")
            .append(fmt(row.rollout().reward()));
        // With one component the total says it all (at its weight); several get a line each.
        for (int c = 0; c < components.size() && components.size() > 1; c++) {
          h.append("<br><small>")
              .append(CreditHtml.escape(components.get(c)))
              .append(" ")
              .append(fmt(row.componentScores()[c]))
              .append("</small>");
        }
        h.append("</td><td>")
            .append(row.correct() ? "<span class=\"badge ok\">correct</span>" : "")
            .append(row.rollout().truncated() ? "<span class=\"badge cut\">truncated</span>" : "")
            .append("</td><td>");
        int[] tok = row.rollout().responseIds();
        for (int t = 0; t < tok.length; t++) {
          double a = row.advantages()[t];
          boolean kept = row.inLoss()[t];
          boolean env = !row.rollout().lossMask()[t];
          int[] c = CreditHtml.color(a / scale);
          h.append("<span class=\"tok")
              .append(env ? " env" : kept ? "" : " drop")
              .append("\" style=\"background:")
              .append(CreditHtml.css(c))
              .append(";color:")
              .append(CreditHtml.luminance(c) < 140 ? "#fff" : "#000")
              .append("\" title=\"t=")
              .append(t)
              .append(" id=")
              .append(tok[t])
              .append(" A=")
              .append(fmt(a))
              .append(" logp_old=")
              .append(fmt(row.rollout().logprobs()[t]))
              .append(env ? " (environment)" : kept ? "" : " (not in the loss)")
              .append("\">")
              .append(CreditHtml.escape(TokenPieces.piece(tok[t], tokenizer)))
              .append("</span>");
        }
        h.append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    return h.append("</body></html>\n").toString();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4g", v);
  }
}
