package sparkcnn.jobs;

import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code bin/sparkcnn <command> [options]}. Each command owns its options and its {@code --help}; a usage
 * error exits with status 2 and one line that says what was wrong and what is allowed.
 */
public final class Main {
  /** A subcommand of the CLI. */
  interface Command {
    String summary();

    /** Returns the process exit status. */
    int run(Args args, PrintStream out) throws Exception;
  }

  static final Map<String, Command> COMMANDS = new TreeMap<>(Map.of("bench", new BenchCommand(),
      "summary", new SummaryCommand(), "train", new TrainCommand(), "evaluate", new EvaluateCommand(), "score", new ScoreCommand(), "sweep", new SweepCommand()));

  private Main() {}

  public static void main(String[] argv) {
    System.exit(run(argv, System.out));
  }

  static int run(String[] argv, PrintStream out) {
    if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
      out.print(usage());
      return argv.length == 0 ? 2 : 0;
    }
    Command command = COMMANDS.get(argv[0]);
    if (command == null) {
      System.err.println("sparkcnn: unknown command '" + argv[0] + "' (commands: " + String.join(", ", COMMANDS.keySet())
          + "; see bin/sparkcnn --help)");
      return 2;
    }
    try {
      return command.run(new Args("sparkcnn " + argv[0], argv, 1), out);
    } catch (UsageException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (sparkcnn.jobs.config.ConfigException e) {
      System.err.println("sparkcnn " + argv[0] + ": " + e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      System.err.println("sparkcnn " + argv[0] + ": " + e.getMessage());
      return 2;
    } catch (Exception e) {
      System.err.println("sparkcnn " + argv[0] + ": failed: " + rootMessage(e));
      return 1;
    }
  }

  /** The innermost I/O or argument problem's message (Spark wraps task failures several levels deep). */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
      if (t instanceof java.io.IOException || t instanceof IllegalArgumentException) {
        return t.getMessage();
      }
    }
    return e instanceof java.io.IOException || e.getMessage() != null && e.getCause() == null ? e.getMessage()
        : e.toString();
  }

  static String usage() {
    StringBuilder sb = new StringBuilder("usage: bin/sparkcnn <command> [options]\n\ncommands:\n");
    COMMANDS.forEach((name, c) -> sb.append(String.format("  %-10s %s%n", name, c.summary())));
    sb.append("\nRun 'bin/sparkcnn <command> --help' for a command's options.\n");
    return sb.toString();
  }
}
