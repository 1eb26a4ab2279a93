package org.tokenrl.rollout;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigReader;

/**
 * Integer arithmetic: prompt {@code 47+38=}, answer {@code 85}. Operands are drawn uniformly from
 * the integers with {@code min_digits} to {@code digits} digits (0..99 for digits = 2); results of
 * {@code -} may be negative ({@code 3-15=} gives {@code -12}).
 *
 * <p>Config keys: {@code seed}, {@code train_size}, {@code eval_size}, {@code ops} (a subset of
 * {@code ["+", "-", "*"]}), {@code digits} (1..9), optional {@code min_digits} (default 1),
 * optional {@code quality_tags}. {@code a+b} and {@code b+a} (likewise for {@code *}) count as
 * one problem, so a held-out pair is never in train in either order.
 */
public final class ArithTask implements Task {
  private static final List<String> ALL_OPS = List.of("+", "-", "*");

  private final List<String> ops;
  private final int digits;
  private final int minDigits;
  private final boolean qualityTags;
  private final GeneratedSplit split;

  public ArithTask(ConfigReader config) {
    this.ops = List.copyOf(new LinkedHashSet<>(config.stringList("ops")));
    if (ops.isEmpty() || !ALL_OPS.containsAll(ops)) {
      throw new ConfigException(
          "config error: '" + config.fullKey("ops") + "' must be a non-empty subset of"
              + " [\"+\", \"-\", \"*\"], got " + ops);
    }
    this.digits = config.integer("digits", 1, 9);
    this.minDigits = config.has("min_digits") ? config.integer("min_digits", 1, digits) : 1;
    this.qualityTags = config.bool("quality_tags", false);
    long low = minDigits == 1 ? 0 : pow10(minDigits - 1);
    long high = pow10(digits) - 1;
    double count = high - low + 1;
    double space = 0;
    for (String op : ops) {
      space += commutative(op) ? count * (count + 1) / 2 : count * count;
    }
    this.split =
        GeneratedSplit.draw(
            config,
            space,
            config.fullKey("digits") + " or " + config.fullKey("ops"),
            random -> problem(random, low, high));
  }

  private GeneratedSplit.Problem problem(Random random, long low, long high) {
    String op = ops.get(random.nextInt(ops.size()));
    long a = random.nextLong(low, high + 1);
    long b = random.nextLong(low, high + 1);
    String key = commutative(op) ? Math.min(a, b) + op + Math.max(a, b) : a + op + b;
    return new GeneratedSplit.Problem(key, a + op + b + "=", Long.toString(apply(op, a, b)));
  }

  static long apply(String op, long a, long b) {
    switch (op) {
      case "+":
        return a + b;
      case "-":
        return a - b;
      case "*":
        return a * b;
      default:
        throw new IllegalArgumentException("unknown operator " + op);
    }
  }

  private static boolean commutative(String op) {
    return !op.equals("-");
  }

  private static long pow10(int exponent) {
    long value = 1;
    for (int i = 0; i < exponent; i++) {
      value *= 10;
    }
    return value;
  }

  @Override
  public String name() {
    return "arith";
  }

  @Override
  public List<Example> train() {
    return split.train();
  }

  @Override
  public List<Example> heldOut() {
    return split.heldOut();
  }

  @Override
  public boolean isCorrect(Example example, String response) {
    return response.strip().equals(example.answer());
  }

  @Override
  public String description() {
    String size = minDigits == digits ? digits + "-digit" : minDigits + " to " + digits + "-digit";
    return "arith: " + size + " integer arithmetic with " + String.join(" ", ops)
        + ", prompt \"47+38=\", answer the exact integer";
  }

  @Override
  public boolean qualityTags() {
    return qualityTags;
  }
}
