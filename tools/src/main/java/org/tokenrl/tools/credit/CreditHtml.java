package org.tokenrl.tools.credit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tokenrl.algorithms.rl.RlBatch;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.trainer.loop.TokenPieces;

/**
 * A standalone HTML page of token credit: each token is a box coloured on a diverging scale (blue =
 * positive advantage, red = negative, white = 0, saturated at the page's largest |A|), struck
 * through when the algorithm dropped it from the loss.
 */
public final class CreditHtml {
  // ColorBrewer RdBu endpoints
  private static final int[] BLUE = {33, 102, 172};
  private static final int[] RED = {178, 24, 43};

  private record Group(int line, RlBatch input, TokenCredit credit) {}

  private final Config settings;
  private final List<Group> groups = new ArrayList<>();

  private final org.tokenrl.core.Tokenizer tokenizer; // null: show token ids

  public CreditHtml(Config settings) {
    this(settings, null);
  }

  /** Tokens shown as the tokenizer's pieces (spaces visible as ␣), the id in the tooltip. */
  public CreditHtml(Config settings, org.tokenrl.core.Tokenizer tokenizer) {
    this.tokenizer = tokenizer;
    this.settings = settings;
  }

  public void addGroup(int line, RlBatch input, TokenCredit credit) {
    groups.add(new Group(line, input, credit));
  }

  public String render() {
    double maxAbs = 0;
    for (Group g : groups) {
      for (double[] row : g.credit().advantages()) {
        for (double a : row) {
          maxAbs = Math.max(maxAbs, Math.abs(a));
        }
      }
    }
    double scale = maxAbs > 0 ? maxAbs : 1;
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tokenrl credit: ")
        .append(escape(settings.getString("name")))
        .append("</title>\n<style>\n")
        .append("body{font-family:sans-serif;margin:1.5em}")
        .append(
            ".tok{display:inline-block;font-family:monospace;padding:1px 4px;margin:1px;border:1px"
                + " solid #ccc;border-radius:3px}")
        .append(".drop{text-decoration:line-through;opacity:.45}")
        .append(".env{background:#e4e4e4!important;color:#8a8a8a!important;font-style:italic}")
        .append(
            "table{border-collapse:collapse;margin-bottom:1.2em}td{padding:2px"
                + " 6px;vertical-align:top}")
        .append(
            ".bar{display:inline-block;width:240px;height:14px;vertical-align:middle;"
                + "background:linear-gradient(to right,")
        .append(css(color(-1)))
        .append(',')
        .append(css(color(0)))
        .append(',')
        .append(css(color(1)))
        .append(")}</style></head><body>\n");
    h.append("<h1>Token credit: ").append(escape(settings.getString("name"))).append("</h1>\n");
    h.append("<p>Legend: <span>A = ")
        .append(fmt(-scale))
        .append("</span> <span class=\"bar\"></span> <span>A = ")
        .append(fmt(scale))
        .append("</span> &nbsp; <span class=\"tok drop\">dropped</span> token not in the loss")
        .append(" &nbsp; <span class=\"tok env\">env</span> written by an environment or tool")
        .append(" (multi-turn; no loss, no credit)")
        .append(" &nbsp; (hover a token for its exact advantage)</p>\n");
    h.append("<details><summary>settings</summary><pre>")
        .append(escape(settings.root().render(ConfigRenderOptions.concise().setFormatted(true))))
        .append("</pre></details>\n");
    for (Group g : groups) {
      h.append("<h2>group on line ").append(g.line()).append("</h2>\n<table>\n");
      for (int i = 0; i < g.input().size(); i++) {
        h.append("<tr><td>#")
            .append(i)
            .append("</td><td>r = ")
            .append(fmt(g.input().rewards()[i]))
            .append("</td><td>");
        int[] tok = g.input().responses()[i];
        for (int t = 0; t < tok.length; t++) {
          double a = g.credit().advantages()[i][t];
          boolean kept = g.credit().keep()[i][t];
          boolean env = !g.input().lossMask()[i][t];
          int[] c = color(a / scale);
          h.append("<span class=\"tok")
              .append(env ? " env" : kept ? "" : " drop")
              .append("\" style=\"background:")
              .append(css(c))
              .append(";color:")
              .append(luminance(c) < 140 ? "#fff" : "#000")
              .append("\" title=\"t=")
              .append(t)
              .append(tokenizer == null ? "" : " id=" + tok[t])
              .append(" A=")
              .append(fmt(a))
              .append(env ? " (environment)" : kept ? "" : " (dropped)")
              .append("\">")
              .append(
                  tokenizer == null
                      ? String.valueOf(tok[t])
                      : escape(TokenPieces.piece(tok[t], tokenizer)))
              .append("</span>");
        }
        h.append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    return h.append("</body></html>\n").toString();
  }

  /** White at 0, blue towards +1, red towards −1. */
  public static int[] color(double x) {
    double f = Math.min(1, Math.abs(x));
    int[] end = x >= 0 ? BLUE : RED;
    int[] c = new int[3];
    for (int k = 0; k < 3; k++) {
      c[k] = (int) Math.round(255 + f * (end[k] - 255));
    }
    return c;
  }

  static double luminance(int[] c) {
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
  }

  static String css(int[] c) {
    return String.format(Locale.ROOT, "rgb(%d,%d,%d)", c[0], c[1], c[2]);
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4g", v);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
