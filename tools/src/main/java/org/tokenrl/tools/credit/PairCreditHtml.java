package org.tokenrl.tools.credit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.trainer.loop.TokenPieces;

/**
 * A standalone HTML page of preference token credit. T-REG: tokens coloured by r̂ on the diverging
 * scale of {@link CreditHtml} (blue = rewarded, red = penalised, saturated at |r̂| = ½, the bound
 * of r̂). cDPO: rejected tokens shaded red by their weight w = 1 − s (white = 0, full red = 1),
 * with critical tokens (w above {@link PairCredit#CRITICAL}) outlined and bold.
 */
public final class PairCreditHtml {
  private record Pair(int line, PairCredit.Row[] rows) {}

  private final Config settings;
  private final boolean treg;
  private final List<Pair> pairs = new ArrayList<>();

  private final Tokenizer tokenizer; // null: show token ids

  public PairCreditHtml(Config settings, boolean treg) {
    this(settings, treg, null);
  }

  /** A page that shows each token as its text under {@code tokenizer}. */
  public PairCreditHtml(Config settings, boolean treg, Tokenizer tokenizer) {
    this.settings = settings;
    this.treg = treg;
    this.tokenizer = tokenizer;
  }

  public void addPair(int line, PairCredit.Row[] rows) {
    pairs.add(new Pair(line, rows));
  }

  public String render() {
    String name = CreditHtml.escape(settings.getString("name"));
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tokenrl credit: ")
        .append(name)
        .append("</title>\n<style>\n")
        .append("body{font-family:sans-serif;margin:1.5em}")
        .append(
            ".tok{display:inline-block;font-family:monospace;padding:1px 4px;margin:1px;border:1px"
                + " solid #ccc;border-radius:3px}")
        .append(".crit{border:2px solid #000;font-weight:bold}")
        .append("table{border-collapse:collapse;margin-bottom:1.2em}td{padding:2px 6px}")
        .append("</style></head><body>\n<h1>Token credit: ")
        .append(name)
        .append("</h1>\n<p>")
        .append(
            treg
                ? "Colour = token reward r&#770; (blue positive, red negative, saturated at"
                    + " &plusmn;0.5)."
                : "Colour = rejected-token weight w = 1 &minus; s (red = high); outlined bold"
                    + " tokens have w &gt; "
                    + PairCredit.CRITICAL
                    + " (critical).")
        .append(" Hover a token for its value.</p>\n<details><summary>settings</summary><pre>")
        .append(
            CreditHtml.escape(
                settings.root().render(ConfigRenderOptions.concise().setFormatted(true))))
        .append("</pre></details>\n");
    for (Pair p : pairs) {
      h.append(tokenizer == null ? "<h2>pair on line " : "<h2>pair ")
          .append(p.line())
          .append("</h2>\n<table>\n");
      for (PairCredit.Row r : p.rows()) {
        h.append("<tr><td>").append(r.label()).append("</td><td>");
        for (int t = 0; t < r.tokens().length; t++) {
          double v = r.values()[t];
          boolean crit = r.critical() != null && r.critical()[t];
          int[] c = CreditHtml.color(treg ? v / 0.5 : -v);
          h.append("<span class=\"tok")
              .append(crit ? " crit" : "")
              .append("\" style=\"background:")
              .append(CreditHtml.css(c))
              .append(";color:")
              .append(CreditHtml.luminance(c) < 140 ? "#fff" : "#000")
              .append("\" title=\"t=")
              .append(t)
              .append(treg ? " r=" : " w=")
              .append(String.format(Locale.ROOT, "%.4g", v))
              .append(crit ? " (critical)" : "")
              .append("\">")
              .append(tokenText(r.tokens()[t]))
              .append("</span>");
        }
        h.append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    return h.append("</body></html>\n").toString();
  }

  private String tokenText(int id) {
    if (tokenizer == null) {
      return String.valueOf(id);
    }
    return CreditHtml.escape(TokenPieces.piece(id, tokenizer));
  }
}
