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

  /** A JSON array of strings on one line ({@link Json}: non-ASCII text kept as it is, the spec is UTF-8). */
  public static String encode(List<String> names) {
    return Json.write(names);
  }

  /** The inverse of {@link #encode} (any JSON array of strings); fails saying what is wrong. */
  public static List<String> decode(String text) {
    Object value;
    try {
      value = Json.read(text);
    } catch (IllegalArgumentException e) {
      throw notNames(e.getMessage());
    }
    if (!(value instanceof List<?> list)) {
      throw notNames("not an array");
    }
    List<String> names = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof String name)) {
        throw notNames("element " + i + " is " + list.get(i) + ", not a string");
      }
      names.add(name);
    }
    return names;
  }

  private static IllegalArgumentException notNames(String what) {
    return new IllegalArgumentException("model spec: " + KEY + " is not a JSON array of strings (" + what + ")");
  }
}
