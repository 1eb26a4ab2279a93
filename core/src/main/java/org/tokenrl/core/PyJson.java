package org.tokenrl.core;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * JSON text exactly as Python's {@code json.dumps(x, ensure_ascii=False, indent=...)} writes it:
 * the form transformers' {@code tojson} filter gives chat templates, so a tool schema rendered into
 * a prompt has the same bytes as under {@code apply_chat_template}. Separators are {@code ", "} and
 * {@code ": "} (with an indent: {@code ","} at line ends); keys keep their insertion order.
 */
public final class PyJson {
  private PyJson() {}

  /** {@code indent < 0}: one line. */
  public static String dumps(Object value, int indent) {
    StringBuilder out = new StringBuilder();
    write(out, value, indent, 0);
    return out.toString();
  }

  private static void write(StringBuilder out, Object v, int indent, int depth) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof String s) {
      string(out, s);
    } else if (v instanceof Boolean b) {
      out.append(b ? "true" : "false");
    } else if (v instanceof Double || v instanceof Float) {
      out.append(pythonFloat(((Number) v).doubleValue()));
    } else if (v instanceof Number n) {
      out.append(n.toString());
    } else if (v instanceof Map<?, ?> map) {
      container(out, '{', '}', map.entrySet().iterator(), map.isEmpty(), indent, depth, true);
    } else if (v instanceof Iterable<?> list) {
      container(out, '[', ']', list.iterator(), !list.iterator().hasNext(), indent, depth, false);
    } else if (v instanceof Object[] array) {
      write(out, List.of(array), indent, depth);
    } else {
      string(out, v.toString());
    }
  }

  private static void container(
      StringBuilder out,
      char open,
      char close,
      Iterator<?> items,
      boolean empty,
      int indent,
      int depth,
      boolean entries) {
    out.append(open);
    if (empty) {
      out.append(close);
      return;
    }
    boolean first = true;
    while (items.hasNext()) {
      Object item = items.next();
      if (!first) {
        out.append(indent >= 0 ? "," : ", ");
      }
      first = false;
      newline(out, indent, depth + 1);
      if (entries) {
        Map.Entry<?, ?> e = (Map.Entry<?, ?>) item;
        string(out, String.valueOf(e.getKey()));
        out.append(": ");
        write(out, e.getValue(), indent, depth + 1);
      } else {
        write(out, item, indent, depth + 1);
      }
    }
    newline(out, indent, depth);
    out.append(close);
  }

  private static void newline(StringBuilder out, int indent, int depth) {
    if (indent >= 0) {
      out.append('\n').append(" ".repeat(indent * depth));
    }
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Python's {@code repr(float)} for the usual cases: 1.0, 0.5, 1e-05, inf as Infinity. */
  private static String pythonFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e16) {
      return String.format("%.1f", d);
    }
    String s = Double.toString(d);
    int e = s.indexOf('E');
    if (e < 0) {
      return s;
    }
    String mantissa = s.substring(0, e).replaceAll("\\.0$", "");
    int exp = Integer.parseInt(s.substring(e + 1));
    return mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
  }
}
