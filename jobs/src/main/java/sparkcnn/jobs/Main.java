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
      "summary", new SummaryCommand(), "train", new TrainCommand(), "evaluate", new EvaluateCommand(), "score", new ScoreCommand(), "sweep", new SweepCommand(),
      "make-dataset", new MakeDatasetCommand()));

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
    } catch (OutOfMemoryError e) {
      // Where the training step's own advice (driver.train.OutOfMemoryAdvice) does not reach: the driver's side.
      // Only the heap running out is cured by a larger one; native threads or metaspace are not.
      String m = e.getMessage();
      boolean heap = sparkcnn.driver.train.OutOfMemoryAdvice.isHeap(e);
      System.err.println("sparkcnn " + argv[0] + ": out of memory (" + (m == null ? "Java heap" : m) + ")" + (heap
          ? String.format(java.util.Locale.ROOT, " with a heap of %.1f GB", Runtime.getRuntime().maxMemory() / 1e9)
          + ": choose a smaller network or batch, or a larger heap (SPARKCNN_HEAP for bin/sparkcnn,"
          + " spark.driver.memory under spark-submit)" : ""));
      return 1;
    }
  }

  /**
   * What to tell the user about a failure: the outermost message that is not a wrapper's (Spark's job failure,
   * an ExecutionException, an UncheckedIOException or a RuntimeException around its cause). A reader's own
   * message ("PATH: truncated checkpoint ...") wins over the EOFException it wraps, whose message is null.
   * Never "null" or a bare class name: a message that is only a class name ("java.io.EOFException", what
   * {@code new RuntimeException(cause)} carries) does not count, and without any message it names the innermost
   * exception's class and where it was thrown.
   */
  static String rootMessage(Throwable e) {
    for (Throwable t = e; t != null; t = next(t)) {
      boolean wrapper = t instanceof org.apache.spark.SparkException
          || t instanceof java.util.concurrent.ExecutionException || t instanceof java.io.UncheckedIOException;
      if (says(t) && !wrapper) {
        return withReason(t);
      }
    }
    for (Throwable t = e; t != null; t = next(t)) {
      if (says(t)) {
        return t.getMessage().lines().findFirst().orElse(""); // a wrapper's text is all there is (first line)
      }
    }
    Throwable inner = e;
    while (next(inner) != null) {
      inner = next(inner);
    }
    StackTraceElement[] at = inner.getStackTrace();
    return "internal error: " + inner.getClass().getSimpleName() + (at.length > 0 ? " at " + at[0] : "")
        + " (please report it with the command that caused it)";
  }

  private static Throwable next(Throwable t) {
    return t.getCause() == t ? null : t.getCause();
  }

  /**
   * t's message, with what happened where it names only a path: java.nio's file errors carry the path alone
   * ("failed: /proc/runs/train.lock" said nothing of why), their class says the rest.
   */
  private static String withReason(Throwable t) {
    if (t instanceof java.nio.file.FileSystemException f && f.getReason() == null) {
      String why = switch (t.getClass().getSimpleName()) {
        case "NoSuchFileException" -> "no such file or directory";
        case "AccessDeniedException" -> "permission denied";
        case "FileAlreadyExistsException" -> "already exists";
        case "NotDirectoryException" -> "not a directory";
        case "DirectoryNotEmptyException" -> "directory not empty";
        default -> t.getClass().getSimpleName();
      };
      return t.getMessage() + ": " + why;
    }
    return t.getMessage();
  }

  /** A message that explains something: not missing, not "null", not merely an exception's class name. */
  private static boolean says(Throwable t) {
    String m = t.getMessage();
    return m != null && !m.isBlank() && !m.strip().equals("null")
        && !m.strip().matches("([\\w$]+\\.)*[\\w$]*(Exception|Error|Throwable)")
        && !(t.getCause() != null && m.equals(t.getCause().toString()));
  }

  static String usage() {
    StringBuilder sb = new StringBuilder("usage: bin/sparkcnn <command> [options]\n\ncommands:\n");
    COMMANDS.forEach((name, c) -> sb.append(String.format("  %-10s %s%n", name, c.summary())));
    sb.append("\nRun 'bin/sparkcnn <command> --help' for a command's options.\n");
    return sb.toString();
  }
}
