package sparkcnn.jobs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A command's arguments: flags, options with values, and positionals, consumed as the command asks for them. */
final class Args {
  private final String command;
  private final List<String> rest = new ArrayList<>();
  /** Flags and options already consumed: one left over was given twice. */
  private final Set<String> taken = new HashSet<>();

  Args(String command, String[] argv, int from) {
    this.command = command;
    for (int i = from; i < argv.length; i++) {
      rest.add(argv[i]);
    }
  }

  /** True if {@code --name} is present (nothing consumed). */
  boolean has(String name) {
    return rest.contains(name);
  }

  /** True (and consumed) if {@code --name} is present. */
  boolean flag(String name) {
    taken.add(name);
    return rest.remove(name);
  }

  /** The value after {@code --name}, or null if absent. */
  String option(String name) {
    taken.add(name);
    int i = rest.indexOf(name);
    if (i < 0) {
      return null;
    }
    if (i + 1 >= rest.size() || rest.get(i + 1).startsWith("--")) {
      throw new UsageException(command + ": " + name + " needs a value");
    }
    rest.remove(i);
    return rest.remove(i);
  }

  /** Every value given with {@code --name} (the option may repeat). */
  List<String> options(String name) {
    List<String> out = new ArrayList<>();
    for (String v = option(name); v != null; v = option(name)) {
      out.add(v);
    }
    return out;
  }

  /** The next positional argument (not an option), consumed, or null. */
  String positional() {
    for (int i = 0; i < rest.size(); i++) {
      if (!rest.get(i).startsWith("--")) {
        return rest.remove(i);
      }
      i++; // skip the option's value
    }
    return null;
  }

  /** The value after {@code --name} as a positive integer, or the default. */
  int positiveInt(String name, int dflt) {
    String v = option(name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(command + ": " + name + ": expected a positive integer, got '" + v + "'");
  }

  /** The value after {@code --name} as a number, or null if absent. */
  Double number(String name) {
    String v = option(name);
    if (v == null) {
      return null;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": " + name + ": expected a number, got '" + v + "'");
    }
  }

  /** The next positional argument if it is one of {@code choices}, else null (nothing consumed). */
  String choice(String... choices) {
    if (!rest.isEmpty()) {
      for (String c : choices) {
        if (c.equals(rest.get(0))) {
          return rest.remove(0);
        }
      }
    }
    return null;
  }

  /** Fails on anything not consumed. */
  void done(String allowed) {
    if (!rest.isEmpty() && taken.contains(rest.get(0))) {
      throw new UsageException(command + ": " + rest.get(0) + " given more than once");
    }
    if (!rest.isEmpty()) {
      throw new UsageException(command + ": unexpected argument '" + rest.get(0) + "' (allowed: " + allowed + ")");
    }
  }
}
