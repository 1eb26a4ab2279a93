package org.tokenrl.rollout.env;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Exact arithmetic on decimal numbers, parsed by hand: {@code + - * / %}, {@code ^} or {@code **}
 * (integer exponents), unary minus and parentheses. Nothing is executed: the input is only ever
 * read as numbers and operators. Results are exact except division, which keeps 34 significant
 * digits (IEEE decimal128), and are printed without exponent or trailing zeros ("6912", "0.25").
 *
 * <p>Bounds keep a hostile expression cheap: at most {@link #MAX_LENGTH} characters, nesting depth
 * {@link #MAX_DEPTH}, exponents up to {@link #MAX_EXPONENT} and results of at most {@link
 * #MAX_DIGITS} digits.
 */
public final class Calculator {
  public static final int MAX_LENGTH = 200;
  public static final int MAX_DEPTH = 32;
  public static final int MAX_EXPONENT = 64;
  public static final int MAX_DIGITS = 200;

  private final String text;
  private int pos;
  private int depth;

  private Calculator(String text) {
    this.text = text;
  }

  /** The value of {@code expression}, or a {@link ToolException} saying what is wrong. */
  public static String evaluate(String expression) throws ToolException {
    if (expression.length() > MAX_LENGTH) {
      throw new ToolException(
          "expression too long (" + expression.length() + " > " + MAX_LENGTH + " characters)");
    }
    Calculator c = new Calculator(expression);
    BigDecimal value = c.sum();
    c.skipSpaces();
    if (c.pos < expression.length()) {
      throw new ToolException("unexpected '" + expression.charAt(c.pos) + "' at position " + c.pos);
    }
    return format(value);
  }

  static String format(BigDecimal value) {
    BigDecimal v = value.stripTrailingZeros();
    return v.signum() == 0 ? "0" : v.toPlainString();
  }

  private BigDecimal sum() throws ToolException {
    BigDecimal left = product();
    while (true) {
      if (accept('+')) {
        left = checked(left.add(product()));
      } else if (accept('-')) {
        left = checked(left.subtract(product()));
      } else {
        return left;
      }
    }
  }

  private BigDecimal product() throws ToolException {
    BigDecimal left = unary();
    while (true) {
      if (accept('*')) {
        left = checked(left.multiply(unary()));
      } else if (accept('/')) {
        BigDecimal right = unary();
        if (right.signum() == 0) {
          throw new ToolException("division by zero");
        }
        left = checked(left.divide(right, MathContext.DECIMAL128));
      } else if (accept('%')) {
        BigDecimal right = unary();
        if (right.signum() == 0) {
          throw new ToolException("modulo by zero");
        }
        left = checked(left.remainder(right));
      } else {
        return left;
      }
    }
  }

  private BigDecimal unary() throws ToolException {
    if (accept('-')) {
      return unary().negate();
    }
    if (accept('+')) {
      return unary();
    }
    return power();
  }

  /** Right-associative: 2^3^2 = 2^9. The exponent may be negated: 2^-1. */
  private BigDecimal power() throws ToolException {
    BigDecimal base = atom();
    skipSpaces();
    boolean caret = accept('^');
    if (!caret && text.startsWith("**", pos)) {
      pos += 2;
      caret = true;
    }
    if (!caret) {
      return base;
    }
    BigDecimal exponent = unary();
    BigInteger e;
    try {
      e = exponent.toBigIntegerExact();
    } catch (ArithmeticException notInteger) {
      throw new ToolException("exponent must be an integer, got " + format(exponent));
    }
    if (e.abs().compareTo(BigInteger.valueOf(MAX_EXPONENT)) > 0) {
      throw new ToolException("exponent " + e + " is out of range (at most " + MAX_EXPONENT + ")");
    }
    int n = e.intValue();
    if (n < 0) {
      if (base.signum() == 0) {
        throw new ToolException("division by zero");
      }
      return checked(BigDecimal.ONE.divide(base.pow(-n), MathContext.DECIMAL128));
    }
    return checked(base.pow(n));
  }

  private BigDecimal atom() throws ToolException {
    skipSpaces();
    if (accept('(')) {
      if (++depth > MAX_DEPTH) {
        throw new ToolException("parentheses nested deeper than " + MAX_DEPTH);
      }
      BigDecimal v = sum();
      if (!accept(')')) {
        throw new ToolException("missing ')' at position " + pos);
      }
      depth--;
      return v;
    }
    int start = pos;
    while (pos < text.length()
        && (Character.isDigit(text.charAt(pos)) || text.charAt(pos) == '.')) {
      pos++;
    }
    if (start == pos) {
      throw new ToolException(
          pos < text.length()
              ? "unexpected '" + text.charAt(pos) + "' at position " + pos
              : "expression ends early");
    }
    String digits = text.substring(start, pos);
    try {
      return checked(new BigDecimal(digits));
    } catch (NumberFormatException e) {
      throw new ToolException("not a number: " + text.substring(start, pos));
    }
  }

  private BigDecimal checked(BigDecimal v) throws ToolException {
    if (v.precision() - v.scale() > MAX_DIGITS) {
      throw new ToolException("result has more than " + MAX_DIGITS + " digits");
    }
    return v.scale() > 40 ? v.setScale(40, RoundingMode.HALF_EVEN) : v;
  }

  private boolean accept(char c) {
    skipSpaces();
    if (pos < text.length() && text.charAt(pos) == c) {
      pos++;
      return true;
    }
    return false;
  }

  private void skipSpaces() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }
}
