package org.tokenrl.trainer;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/** The {@code ./tokenrl} command line: one subcommand per verb. */
public final class Main {
  private static final Map<String, Command> COMMANDS = new TreeMap<>();

  static {
    register(new TrainCommand());
    register(new BenchCommand());
    register(new EvalCommand());
    register(new CompareCommand());
    register(
        new Command.Delegate(
            "bleu",
            "per-sentence or corpus BLEU on token ids (NLTK-exact), one JSON line per case",
            org.tokenrl.rewards.BleuCommand::run));
    register(
        new Command.Delegate(
            "credit",
            "per-token credit: advantages/keep masks (grpo, tempo, d3s), r̂ (treg), critical tokens (cdpo)",
            org.tokenrl.algorithms.CreditCommand::run));
  }

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      System.out.println(usage());
      return args.length == 0 ? 2 : 0;
    }
    Command command = COMMANDS.get(args[0]);
    if (command == null) {
      System.err.println("tokenrl: unknown command '" + args[0] + "'\n\n" + usage());
      return 2;
    }
    return command.run(Arrays.copyOfRange(args, 1, args.length));
  }

  private static void register(Command c) {
    COMMANDS.put(c.name(), c);
  }

  static String usage() {
    StringBuilder sb = new StringBuilder();
    sb.append("tokenrl: RL post-training of language models with token-level credit assignment\n\n");
    sb.append("usage: ./tokenrl <command> [options]    (./tokenrl <command> --help for details)\n\n");
    sb.append("commands:\n");
    COMMANDS.values()
        .forEach(c -> sb.append(String.format("  %-8s %s%n", c.name(), c.summary())));
    sb.append("\nquickstart: ./tokenrl train configs/quickstart.conf\n");
    return sb.toString();
  }
}
