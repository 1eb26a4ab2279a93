package org.tokenrl.core;

/**
 * Applies Jinja's whitespace control markers ({@code {{-}, {@code -}}}, {@code {%-}, {@code -%}},
 * {@code {#-}, {@code -#}}) to a template's source before jinjava sees it: jinjava honours them on
 * statements but not on expressions, and tool-calling templates (Qwen2.5's, Llama 3's) indent
 * almost every {@code {{- ... }}} line. As in jinja2's lexer, a {@code -} next to a delimiter
 * removes all whitespace (newlines included) of the text on that side; the tag itself is kept
 * without the marker. Quoted strings inside tags are skipped, so {@code '}}'} does not end a tag.
 */
final class JinjaWhitespace {
  private JinjaWhitespace() {}

  static String apply(String source) {
    StringBuilder out = new StringBuilder(source.length());
    int i = 0;
    boolean stripNext = false;
    while (i < source.length()) {
      int start = nextTagStart(source, i);
      if (start < 0) {
        String rest = source.substring(i);
        out.append(stripNext ? rest.stripLeading() : rest);
        break;
      }
      String text = source.substring(i, start);
      if (stripNext) {
        text = text.stripLeading();
      }
      boolean stripBefore = start + 2 < source.length() && source.charAt(start + 2) == '-';
      if (stripBefore) {
        text = text.stripTrailing();
      }
      out.append(text);
      char kind = source.charAt(start + 1);
      int end = tagEnd(source, start + 2, kind == '{' ? '}' : kind);
      if (end < 0) { // unterminated: leave it for the engine to report
        out.append(source, start, source.length());
        break;
      }
      int bodyFrom = start + 2 + (stripBefore ? 1 : 0);
      boolean stripAfter = end > bodyFrom && source.charAt(end - 1) == '-';
      int bodyTo = stripAfter ? end - 1 : end;
      out.append(source, start, start + 2).append(source, bodyFrom, bodyTo);
      out.append(source, end, end + 2);
      stripNext = stripAfter;
      i = end + 2;
    }
    return out.toString();
  }

  private static int nextTagStart(String s, int from) {
    for (int i = from; i + 1 < s.length(); i++) {
      if (s.charAt(i) == '{') {
        char c = s.charAt(i + 1);
        if (c == '{' || c == '%' || c == '#') {
          return i;
        }
      }
    }
    return -1;
  }

  /** Index of the closing delimiter ({@code close} then '}'), skipping quoted strings. */
  private static int tagEnd(String s, int from, char close) {
    char quote = 0;
    for (int i = from; i + 1 < s.length(); i++) {
      char c = s.charAt(i);
      if (close == '#') { // comments hold no strings
        if (c == '#' && s.charAt(i + 1) == '}') {
          return i;
        }
        continue;
      }
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == close && s.charAt(i + 1) == '}') {
        return i;
      }
    }
    return -1;
  }
}
