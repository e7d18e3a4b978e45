package sparkcnn.models;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The names of a model's classes, position i naming output i, as a checkpoint spec stores them: one
 * {@code class_names} line whose value is a JSON array of strings ({@code ["T-shirt/top","Trouser"]}). Quotes,
 * backslashes and control characters are escaped, so a name may hold commas, '=', spaces or any Unicode text and
 * the spec stays one line per key. A spec without the key (checkpoints written before names existed) reads as
 * "0", "1", ..., "K-1".
 */
public final class ClassNames {
  /** The spec key. */
  public static final String KEY = "class_names";

  private ClassNames() {}

  /** "0", "1", ..., "K-1": the names of classes nobody named. */
  public static List<String> defaults(int classes) {
    List<String> names = new ArrayList<>(classes);
    for (int i = 0; i < classes; i++) {
      names.add(Integer.toString(i));
    }
    return names;
  }

  /** Whether names are just the defaults (nothing worth printing beside the index). */
  public static boolean areDefaults(List<String> names) {
    return names.equals(defaults(names.size()));
  }

  /**
   * Why a name cannot be a class name (empty or blank, or holding a line break), or null if it can. Names come
   * from users, so the caller adds where it came from.
   */
  public static String problem(String name) {
    if (name == null || name.isBlank()) {
      return "an empty name";
    }
    if (name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0) {
      return "a name with a line break";
    }
    return null;
  }

  /** The first name that appears twice, or null. */
  public static String duplicate(List<String> names) {
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      if (!seen.add(n)) {
        return n;
      }
    }
    return null;
  }

  /** The names a checkpoint spec holds, or the defaults if it has none; fails if they do not fit the classes. */
  public static List<String> from(Map<String, String> spec, int classes) {
    String v = spec.get(KEY);
    if (v == null) {
      return defaults(classes);
    }
    List<String> names = decode(v);
    if (names.size() != classes) {
      throw new IllegalArgumentException("model spec: " + KEY + " holds " + names.size() + " names but the model has "
          + classes + " classes");
    }
    return names;
  }

  /**
   * A JSON array of strings on one line (the project's one JSON writer: quotes, backslashes and control characters
   * escaped; non-ASCII text kept as it is, the spec is UTF-8).
   */
  public static String encode(List<String> names) {
    return sparkcnn.kernels.bench.Json.write(names);
  }

  /** The inverse of {@link #encode} (any JSON array of strings); fails naming the position of what is wrong. */
  public static List<String> decode(String text) {
    List<String> names = new ArrayList<>();
    int[] at = {0};
    skipSpace(text, at);
    expect(text, at, '[');
    skipSpace(text, at);
    if (at[0] < text.length() && text.charAt(at[0]) == ']') {
      at[0]++;
    } else {
      while (true) {
        skipSpace(text, at);
        names.add(string(text, at));
        skipSpace(text, at);
        if (at[0] < text.length() && text.charAt(at[0]) == ',') {
          at[0]++;
          continue;
        }
        expect(text, at, ']');
        break;
      }
    }
    skipSpace(text, at);
    if (at[0] != text.length()) {
      throw malformed(text, at[0], "text after the closing ']'");
    }
    return names;
  }

  private static String string(String text, int[] at) {
    expect(text, at, '"');
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (at[0] >= text.length()) {
        throw malformed(text, at[0], "an unclosed string");
      }
      char c = text.charAt(at[0]++);
      if (c == '"') {
        return sb.toString();
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (at[0] >= text.length()) {
        throw malformed(text, at[0], "an unfinished escape");
      }
      char e = text.charAt(at[0]++);
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'u' -> {
          if (at[0] + 4 > text.length()) {
            throw malformed(text, at[0], "an unfinished \\u escape");
          }
          try {
            sb.append((char) Integer.parseInt(text.substring(at[0], at[0] + 4), 16));
          } catch (NumberFormatException ex) {
            throw malformed(text, at[0], "a bad \\u escape");
          }
          at[0] += 4;
        }
        default -> throw malformed(text, at[0] - 1, "an unknown escape '\\" + e + "'");
      }
    }
  }

  private static void expect(String text, int[] at, char c) {
    if (at[0] >= text.length() || text.charAt(at[0]) != c) {
      throw malformed(text, at[0], "expected '" + c + "'");
    }
    at[0]++;
  }

  private static void skipSpace(String text, int[] at) {
    while (at[0] < text.length() && Character.isWhitespace(text.charAt(at[0]))) {
      at[0]++;
    }
  }

  private static IllegalArgumentException malformed(String text, int at, String what) {
    return new IllegalArgumentException("model spec: " + KEY + " is not a JSON array of strings (" + what
        + " at character " + at + " of " + text.length() + ")");
  }
}
