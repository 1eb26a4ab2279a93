package org.tokenrl.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.tokenrl.runlog.Console;
import picocli.CommandLine;
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
    footer = {
      "",
      "Run ./tokenrl <command> --help for a command's options.",
      "quickstart: ./tokenrl train configs/quickstart.conf"
    })
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
          ExportCommand::new,
          BenchCommand::new);

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
    // A thread that dies of an uncaught exception (a sampler thread) leaves its trace in a file and
    // one line on the console, not a stack trace; the command itself then fails through Failures.
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) -> {
          Path trace = Failures.writeTrace(e, null);
          System.err.println(
              "tokenrl: thread "
                  + thread.getName()
                  + " failed: "
                  + e
                  + (trace != null ? " (trace in " + trace + ")" : ""));
        });
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
      cli.addSubcommand(command);
    }
    giveConsole(cli, console);
    cli.setOut(new PrintWriter(console.out(), true));
    cli.setErr(new PrintWriter(console.err(), true));
    cli.setUsageHelpWidth(100);
    cli.setExpandAtFiles(false);
    cli.setParameterExceptionHandler(Main::usageError);
    // Commands map their own failures (CliCommand.call); this catches what escapes picocli itself.
    cli.setExecutionExceptionHandler(
        (e, where, parsed) -> Failures.report(e, console, where.getCommandName(), null));
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

  /** Every command, nested ones included (bench's benchmarks), writes to the given console. */
  private static void giveConsole(CommandLine cli, Console console) {
    for (CommandLine sub : cli.getSubcommands().values()) {
      if (sub.getCommand() instanceof CliCommand command) {
        command.console(console);
      }
      giveConsole(sub, console);
    }
  }
}
