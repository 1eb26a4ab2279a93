package org.tokenrl.trainer;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UnmatchedArgsBinding;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code ./tokenrl} command line: one picocli subcommand per verb.
 *
 * <p>Every command prints its usage on stdout with exit code 0 for {@code --help}, and one line on
 * stderr naming the bad option with exit code 2 for a usage error (see {@link CliCommand}).
 */
@CommandLine.Command(
    name = "tokenrl",
    description = "RL post-training of language models with token-level credit assignment.",
    synopsisSubcommandLabel = "<command>",
    footer = {"", "Run ./tokenrl <command> --help for a command's options.",
      "quickstart: ./tokenrl train configs/quickstart.conf"})
public final class Main implements Callable<Integer> {

  /**
   * Every command, in the order {@code --help} lists them. Adding a command is one {@link
   * CliCommand} subclass and one line here.
   */
  private static final List<Supplier<CliCommand>> COMMANDS =
      List.of(
          TrainCommand::new,
          EvalCommand::new,
          CreditCommand::new,
          BleuCommand::new,
          CompareCommand::new,
          FetchCommand::new,
          TokenizeCommand::new,
          GenerateCommand::new,
          ExportCommand::new);

  /** Commands that still parse their own arguments (bench, while its benchmarks are rewritten). */
  private static final List<Supplier<org.tokenrl.trainer.Command>> SELF_PARSING = List.of(BenchCommand::new);

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "show this help and exit")
  private boolean help;

  private Console console;

  private Main(Console console) {
    this.console = console;
  }

  public static void main(String[] args) {
    System.exit(run(Console.system(), args));
  }

  /** Runs one command line; returns its exit code. */
  static int run(Console console, String... args) {
    CommandLine cli = commandLine(console);
    try {
      return cli.execute(args);
    } finally {
      cli.getOut().flush();
      cli.getErr().flush();
    }
  }

  /** {@code ./tokenrl} with no command: a usage error. */
  @Override
  public Integer call() {
    console.err().println("tokenrl: missing command (see ./tokenrl --help)");
    return CliCommand.BAD_INPUT;
  }

  private static CommandLine commandLine(Console console) {
    CommandLine cli = new CommandLine(new Main(console));
    for (Supplier<CliCommand> factory : COMMANDS) {
      CliCommand command = factory.get();
      command.console(console);
      cli.addSubcommand(command);
    }
    for (Supplier<org.tokenrl.trainer.Command> factory : SELF_PARSING) {
      org.tokenrl.trainer.Command command = factory.get();
      cli.addSubcommand(command.name(), selfParsing(command));
    }
    cli.setOut(new PrintWriter(console.out(), true));
    cli.setErr(new PrintWriter(console.err(), true));
    cli.setUsageHelpWidth(100);
    cli.setExpandAtFiles(false);
    cli.setParameterExceptionHandler(Main::usageError);
    return cli;
  }

  /** One line on stderr naming the problem and where help is, exit code 2. */
  private static int usageError(ParameterException e, String[] args) {
    CommandLine where = e.getCommandLine();
    String name = where.getCommandSpec().qualifiedName(" ");
    String message = e.getMessage();
    if (where.getParent() == null && e instanceof UnmatchedArgumentException u) {
      message =
          "unknown command '"
              + u.getUnmatched().get(0)
              + "'; commands: "
              + String.join(", ", where.getSubcommands().keySet());
    }
    where.getErr().println(name + ": " + message + " (see ./" + name + " --help)");
    return CliCommand.BAD_INPUT;
  }

  /** Wraps a command that reads its own arguments: everything after its name is passed on. */
  private static CommandLine selfParsing(org.tokenrl.trainer.Command command) {
    String[][] rest = {new String[0]};
    Callable<Integer> run = () -> command.run(rest[0]);
    CommandSpec spec = CommandSpec.wrapWithoutInspection(run);
    spec.usageMessage().description(command.summary());
    spec.parser().unmatchedArgumentsAllowed(true).unmatchedOptionsArePositionalParams(true);
    spec.addUnmatchedArgsBinding(
        UnmatchedArgsBinding.forStringArrayConsumer(
            new picocli.CommandLine.Model.ISetter() {
              @Override
              @SuppressWarnings("unchecked")
              public <T> T set(T value) {
                rest[0] = (String[]) value;
                return null;
              }
            }));
    return new CommandLine(spec);
  }
}
