package org.tokenrl.rewards;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer-reading half of the {@code math} reward: finds the final answer in a response,
 * normalises it, and reads it as an exact number when it is one.
 *
 * <p>Extraction, first rule that applies: the last {@code \boxed{...}} (or {@code \fbox{...}},
 * braces nested to any depth); the rest of the line after the last GSM8K {@code ####}; the rest of
 * the line after the last "answer is" or "answer:"; else the last number in the text. Normalisation
 * and parsing are described on {@link #normalise} and {@link #parse}.
 */
final class MathAnswer {
  /** A number written as digits ({@code 12}, {@code -0.5}, {@code 1,234}) or a fraction. */
  private static final String DIGITS = "(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|\\.\\d+";

  private static final String FRAC = "\\\\[dt]?frac(?:\\{[^{}]*\\}\\{[^{}]*\\}|\\d\\d)";
  // '-' is a sign only where no letter, digit, '.' or ')' comes before it, so "10-3" ends in 3.
  private static final Pattern NUMBER_IN_TEXT =
      Pattern.compile(
          "(?:(?<![\\w.)])-)?(?:(?<![\\d.])(?:"
              + DIGITS
              + ")(?:\\s*"
              + FRAC
              + "|\\s*/\\s*\\d+(?!\\d|\\.\\d))?(?![\\d,]\\d)|"
              + FRAC
              + ")(?:\\s*\\\\?%)?");
  private static final Pattern ANSWER_IS =
      Pattern.compile("answer\\s*(?:is\\s*:?|:)", Pattern.CASE_INSENSITIVE);
  private static final Pattern BOXED = Pattern.compile("\\\\(?:boxed|fbox)\\s*");
  private static final Pattern WRAPPER =
      Pattern.compile(
          "\\\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\\s*\\{([^{}]*)\\}");
  private static final Pattern SPACING = Pattern.compile("\\\\[!,;: ]|~|\\\\quad|\\\\qquad");
  private static final Pattern PERCENT_WORD =
      Pattern.compile("\\s*\\bper\\s?cent\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern DEGREES = Pattern.compile("\\^\\s*\\{?\\s*\\\\circ\\s*\\}?");
  private static final Pattern TRAILING_WORDS =
      Pattern.compile("(?<=[\\d}%.])(?:\\s*[A-Za-z]+\\.?)+$");
  private static final Pattern LEADING_WORDS =
      Pattern.compile("^(?:[A-Za-z]+\\s+)+(?=[-\\d.\\\\])");
  private static final Pattern PLAIN =
      Pattern.compile("([+-]?)(\\d{1,3}(?:,\\d{3})+|\\d+|(?=\\.\\d))(?:\\.(\\d+))?");
  private static final Pattern FRACTION =
      Pattern.compile("([+-]?)(\\d+)?\\\\frac\\{([^{}]+)\\}\\{([^{}]+)\\}");
  private static final Pattern SLASH = Pattern.compile("([+-]?[\\d.]+)/([+-]?[\\d.]+)");

  private MathAnswer() {}

  /**
   * An exact rational {@code num/den} ({@code den > 0}, lowest terms). {@code decimal} says a
   * decimal point was written: as in math-verify, such values compare after rounding.
   */
  record Rational(BigInteger num, BigInteger den, boolean decimal) {
    Rational {
      if (den.signum() == 0) {
        throw new ArithmeticException("zero denominator");
      }
      if (den.signum() < 0) {
        num = num.negate();
        den = den.negate();
      }
      BigInteger g = num.gcd(den);
      if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
        num = num.divide(g);
        den = den.divide(g);
      }
    }

    static Rational of(BigDecimal d, boolean decimal) {
      BigDecimal s = d.stripTrailingZeros();
      if (s.scale() <= 0) {
        return new Rational(s.toBigIntegerExact(), BigInteger.ONE, decimal);
      }
      return new Rational(s.unscaledValue(), BigInteger.TEN.pow(s.scale()), decimal);
    }

    Rational plus(Rational o) {
      return new Rational(
          num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den), decimal || o.decimal);
    }

    Rational over(Rational o) {
      return new Rational(num.multiply(o.den), den.multiply(o.num), decimal || o.decimal);
    }

    Rational negate() {
      return new Rational(num.negate(), den, decimal);
    }

    /** The value rounded half-even to {@code places} decimals (sympy's {@code round}). */
    BigDecimal rounded(int places) {
      return new BigDecimal(num).divide(new BigDecimal(den), places, RoundingMode.HALF_EVEN);
    }
  }

  /**
   * A parsed answer: {@code text} is the normalised answer; {@code values} are the numbers it may
   * mean (empty when it is not a number; two for a percentage {@code p%}: {@code p} and {@code
   * p/100}, as math-verify accepts both).
   */
  record Answer(String text, List<Rational> values) {}

  /** The final answer's raw text in {@code response}, if any. */
  static Optional<String> extract(String response) {
    Optional<String> boxed = lastBoxed(response);
    if (boxed.isPresent()) {
      return boxed;
    }
    int hashes = response.lastIndexOf("####");
    if (hashes >= 0) {
      return Optional.of(tail(restOfLine(response, hashes + 4)));
    }
    Matcher m = ANSWER_IS.matcher(response);
    int end = -1;
    while (m.find()) {
      end = m.end();
    }
    if (end >= 0) {
      String tail = restOfLine(response, end);
      if (!tail.isBlank()) {
        return Optional.of(tail(tail));
      }
    }
    return lastNumber(response);
  }

  /** The content of the last {@code \boxed{...}}, with nested braces; a brace left open ends it. */
  static Optional<String> lastBoxed(String text) {
    Matcher m = BOXED.matcher(text);
    int start = -1;
    while (m.find()) {
      start = m.end();
    }
    if (start < 0 || start >= text.length()) {
      return Optional.empty();
    }
    if (text.charAt(start) != '{') {
      // "\boxed 5": the token up to the next space or '$'
      int end = start;
      while (end < text.length() && !Character.isWhitespace(text.charAt(end))) {
        if (text.charAt(end) == '$') {
          break;
        }
        end++;
      }
      return Optional.of(text.substring(start, end));
    }
    int depth = 0;
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return Optional.of(text.substring(start + 1, i));
      }
    }
    return Optional.empty();
  }

  /** The last number (digits, fraction, mixed number or percentage) in {@code text}, if any. */
  static Optional<String> lastNumber(String text) {
    Matcher m = NUMBER_IN_TEXT.matcher(text);
    String last = null;
    while (m.find()) {
      last = m.group();
    }
    return Optional.ofNullable(last);
  }

  /** A line after "####" or "answer is": all of it if it is a number, else its first number. */
  private static String tail(String line) {
    if (!parse(line).values().isEmpty()) {
      return line;
    }
    Matcher m = NUMBER_IN_TEXT.matcher(line);
    return m.find() ? m.group() : line;
  }

  private static String restOfLine(String text, int from) {
    int nl = text.indexOf('\n', from);
    return text.substring(from, nl < 0 ? text.length() : nl).strip();
  }

  /**
   * Normalises an answer's text: {@code \dfrac}/{@code \tfrac} become {@code \frac} and {@code
   * \frac12} becomes {@code \frac{1}{2}}; {@code \left}/{@code \right}, LaTeX spacing ({@code \!},
   * {@code \,}, ...), {@code $}, {@code \$}, degrees and the words around a number ({@code 12
   * apples}, {@code 5\text{ cm}}) go; {@code \text{...}} and similar keep their content; {@code \%}
   * becomes {@code %}; after an {@code =} only the right side stays; whitespace and a final period
   * go.
   */
  static String normalise(String raw) {
    String s = raw.strip();
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac");
    s = s.replaceAll("\\\\frac(\\d)(\\d)", "\\\\frac{$1}{$2}");
    s = s.replace("\\left", "").replace("\\right", "");
    s = s.replace("{,}", ",");
    for (String prev = ""; !prev.equals(s); ) {
      prev = s;
      s = WRAPPER.matcher(s).replaceAll(r -> Matcher.quoteReplacement(" " + r.group(1) + " "));
    }
    s = PERCENT_WORD.matcher(s).replaceAll("%");
    s = SPACING.matcher(s).replaceAll(" ");
    s = DEGREES.matcher(s).replaceAll("");
    s = s.replace("\\$", " ").replace("$", " ").replace("\\%", "%");
    int eq = s.lastIndexOf('=');
    if (eq >= 0 && eq < s.length() - 1) {
      s = s.substring(eq + 1);
    }
    s = s.strip();
    while (s.endsWith(".")) {
      s = s.substring(0, s.length() - 1).strip();
    }
    s = TRAILING_WORDS.matcher(s).replaceAll("");
    s = LEADING_WORDS.matcher(s).replaceAll("");
    s = s.replaceAll("\\s+", "");
    while (s.endsWith(".")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  /** Normalises {@code raw} and reads it as a number if it is one. */
  static Answer parse(String raw) {
    String text = normalise(raw);
    boolean percent = text.endsWith("%");
    String body = percent ? text.substring(0, text.length() - 1) : text;
    Optional<Rational> value = number(body);
    List<Rational> values = new ArrayList<>();
    if (value.isPresent()) {
      values.add(value.get());
      if (percent) {
        values.add(value.get().over(Rational.of(BigDecimal.valueOf(100), false)));
      }
    }
    return new Answer(text.toLowerCase(Locale.ROOT), values);
  }

  /**
   * Reads {@code s} when it is a whole number: digits with optional sign, decimals and thousands
   * separators; {@code \frac{a}{b}} with {@code a}, {@code b} such numbers, optionally after a
   * whole part ({@code 1\frac{1}{2}} = 3/2); or {@code a/b}.
   */
  static Optional<Rational> number(String s) {
    if (s.startsWith("(") && s.endsWith(")") && s.indexOf(',') < 0) {
      s = s.substring(1, s.length() - 1);
    }
    Matcher plain = PLAIN.matcher(s);
    if (plain.matches()) {
      String digits = plain.group(2).replace(",", "");
      String fraction = plain.group(3);
      BigDecimal d = new BigDecimal((digits.isEmpty() ? "0" : digits) + "." + orZero(fraction));
      Rational n = Rational.of(d, fraction != null);
      return Optional.of(plain.group(1).equals("-") ? n.negate() : n);
    }
    Matcher frac = FRACTION.matcher(s);
    if (frac.matches()) {
      Optional<Rational> a = number(frac.group(3));
      Optional<Rational> b = number(frac.group(4));
      if (a.isEmpty() || b.isEmpty() || b.get().num().signum() == 0) {
        return Optional.empty();
      }
      Rational n = a.get().over(b.get());
      if (frac.group(2) != null) {
        n = Rational.of(new BigDecimal(frac.group(2)), false).plus(n);
      }
      return Optional.of(frac.group(1).equals("-") ? n.negate() : n);
    }
    Matcher slash = SLASH.matcher(s);
    if (slash.matches()) {
      Optional<Rational> a = number(slash.group(1));
      Optional<Rational> b = number(slash.group(2));
      if (a.isEmpty() || b.isEmpty() || b.get().num().signum() == 0) {
        return Optional.empty();
      }
      return Optional.of(a.get().over(b.get()));
    }
    return Optional.empty();
  }

  private static String orZero(String s) {
    return s == null ? "0" : s;
  }
}
