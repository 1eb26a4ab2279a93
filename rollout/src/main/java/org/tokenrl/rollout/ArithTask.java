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
 * optional {@code quality_tags}. {@code a+b} and {@code b+a} (likewise for {@code *}) count as one
 * problem, so a held-out pair is never in train in either order.
 */
public final class ArithTask extends GeneratedTask {
  private static final List<String> ALL_OPS = List.of("+", "-", "*");

  /** A corrupted answer is off by 1..MAX_ERROR: a near miss, like a dropped carry (off by 10). */
  static final int MAX_ERROR = 10;

  public ArithTask(ConfigReader config) {
    this(config, Operands.read(config));
  }

  private final boolean chat;

  private ArithTask(ConfigReader config, Operands operands) {
    super(
        "arith",
        config,
        GeneratedSplit.draw(
            config,
            operands.space(),
            config.fullKey("digits") + " or " + config.fullKey("ops"),
            operands::problem),
        operands.describe());
    this.chat = operands.chat();
  }

  /**
   * Plain prompts need the exact integer; a chat model's answer ({@code task.chat}) is correct when
   * the last integer it writes is the result ("8 + 3 = 11.", "The answer is 11.").
   */
  @Override
  public boolean isCorrect(Example example, String response) {
    if (!chat) {
      return super.isCorrect(example, response);
    }
    java.util.regex.Matcher m = LAST_INTEGER.matcher(response);
    String last = null;
    while (m.find()) {
      last = m.group();
    }
    return example.answer().equals(last);
  }

  /** The exact text for plain prompts; a chat model's last integer (null when it wrote none). */
  @Override
  public String answerOf(Example example, String response) {
    if (!chat) {
      return super.answerOf(example, response);
    }
    java.util.regex.Matcher m = LAST_INTEGER.matcher(response);
    String last = null;
    while (m.find()) {
      last = m.group();
    }
    return last;
  }

  private static final java.util.regex.Pattern LAST_INTEGER =
      java.util.regex.Pattern.compile("-?\\d+");

  /** The settings that define the problem space. */
  private record Operands(List<String> ops, int digits, int minDigits, boolean chat) {
    static Operands read(ConfigReader config) {
      List<String> ops = List.copyOf(new LinkedHashSet<>(config.stringList("ops")));
      if (ops.isEmpty() || !ALL_OPS.containsAll(ops)) {
        throw new ConfigException(
            "config error: '"
                + config.fullKey("ops")
                + "' must be a non-empty subset of"
                + " [\"+\", \"-\", \"*\"], got "
                + ops);
      }
      int digits = config.integer("digits", 1, 9);
      int minDigits = config.has("min_digits") ? config.integer("min_digits", 1, digits) : 1;
      return new Operands(ops, digits, minDigits, config.bool("chat", false));
    }

    long low() {
      return minDigits == 1 ? 0 : pow10(minDigits - 1);
    }

    long high() {
      return pow10(digits) - 1;
    }

    /** How many distinct problems (a+b and b+a counted once) the settings allow. */
    double space() {
      double count = high() - low() + 1;
      double space = 0;
      for (String op : ops) {
        space += commutative(op) ? count * (count + 1) / 2 : count * count;
      }
      return space;
    }

    GeneratedSplit.Problem problem(Random random) {
      String op = ops.get(random.nextInt(ops.size()));
      long a = random.nextLong(low(), high() + 1);
      long b = random.nextLong(low(), high() + 1);
      String key = commutative(op) ? Math.min(a, b) + op + Math.max(a, b) : a + op + b;
      String prompt = chat ? "What is " + a + " " + op + " " + b + "?" : a + op + b + "=";
      return new GeneratedSplit.Problem(key, prompt, Long.toString(apply(op, a, b)));
    }

    String describe() {
      String size =
          minDigits == digits ? digits + "-digit" : minDigits + " to " + digits + "-digit";
      return "arith: "
          + size
          + " integer arithmetic with "
          + String.join(" ", ops)
          + ", prompt \"47+38=\", answer the exact integer";
    }
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

  /** A realistic wrong answer: the right integer off by 1..{@value #MAX_ERROR} either way. */
  @Override
  public String corruptAnswer(Example example, Random random) {
    return AnswerCorruption.corrupt(this, example, random, ArithTask::offByLittle);
  }

  private static String offByLittle(String answer, Random random) {
    long value;
    try {
      value = Long.parseLong(answer);
    } catch (NumberFormatException e) {
      return AnswerCorruption.editOrSwap(answer, random); // not ours: fall back to a char edit
    }
    long error = 1 + random.nextInt(MAX_ERROR);
    return Long.toString(random.nextBoolean() ? value + error : value - error);
  }
}
