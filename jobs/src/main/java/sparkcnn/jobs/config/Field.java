package sparkcnn.jobs.config;

import java.util.List;
import java.util.Map;

/**
 * One key of a job file: its type, default and what values are allowed, checked before Spark starts. check()
 * returns the value converted (e.g. an integer-valued double to a long) or throws a message naming what is
 * allowed; the caller adds the file and the key.
 */
public record Field(String type, Object dflt, String description, Check check) {
  /** Validates and converts a raw value; the message of the exception says what is allowed. */
  @FunctionalInterface
  public interface Check {
    Object apply(Object value);
  }

  public static Field string(Object dflt, String description) {
    return new Field("string", dflt, description, v -> {
      if (v instanceof Map<?, ?> || v instanceof List<?>) {
        throw new IllegalArgumentException("a single value (text)");
      }
      return String.valueOf(v);
    });
  }

  public static Field choice(Object dflt, String description, List<String> allowed) {
    return new Field("one of " + String.join(", ", allowed), dflt, description, v -> {
      if (!allowed.contains(String.valueOf(v))) {
        throw new IllegalArgumentException("one of " + String.join(", ", allowed));
      }
      return String.valueOf(v);
    });
  }

  /** An integer at least min. */
  public static Field integer(Object dflt, long min, String description) {
    return new Field("integer >= " + min, dflt, description, v -> {
      if (v instanceof Long l && l >= min) {
        return l;
      }
      if (v instanceof Double d && d == Math.rint(d) && d >= min) {
        return d.longValue();
      }
      throw new IllegalArgumentException("an integer >= " + min);
    });
  }

  /** A number in [min, max]. */
  public static Field number(Object dflt, double min, double max, String description) {
    return new Field("number in [" + min + ", " + max + "]", dflt, description, v -> {
      if (v instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max) {
        return n.doubleValue();
      }
      throw new IllegalArgumentException("a number in [" + fmt(min) + ", " + fmt(max) + "]");
    });
  }

  public static Field bool(Object dflt, String description) {
    return new Field("true or false", dflt, description, v -> {
      if (v instanceof Boolean b) {
        return b;
      }
      throw new IllegalArgumentException("true or false");
    });
  }

  /** A list whose items pass an item check. */
  public static Field list(Object dflt, String description, String itemKind, Check item) {
    return list(dflt, description, itemKind, item, 0);
  }

  /** A list of at least one item, each passing an item check (an empty one would make nothing to run). */
  public static Field nonEmptyList(Object dflt, String description, String itemKind, Check item) {
    return list(dflt, description, itemKind, item, 1);
  }

  private static Field list(Object dflt, String description, String itemKind, Check item, int least) {
    String kind = (least > 0 ? "non-empty list of " : "list of ") + itemKind;
    return new Field(kind, dflt, description, v -> {
      if (!(v instanceof List<?> l) || l.size() < least) {
        throw new IllegalArgumentException("a " + kind + " (e.g. [a, b])");
      }
      List<Object> out = new java.util.ArrayList<>();
      for (Object o : l) {
        try {
          out.add(item.apply(o));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("a list of " + itemKind + "; item '" + o + "' is not: " + e.getMessage());
        }
      }
      return out;
    });
  }

  /** A free mapping of string keys to single values (e.g. Spark settings). */
  public static Field map(String description) {
    return new Field("mapping", Map.of(), description, v -> {
      if (!(v instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException("a mapping of keys to values");
      }
      Map<String, String> out = new java.util.LinkedHashMap<>();
      m.forEach((k, x) -> out.put(String.valueOf(k), String.valueOf(x)));
      return out;
    });
  }

  /**
   * A mapping of free keys (e.g. job keys of a sweep) to lists whose items pass an item check; the values keep
   * their parsed types.
   */
  public static Field lists(String description, String itemKind, Check item) {
    Field list = list(null, description, itemKind, item);
    return new Field("mapping of keys to lists of " + itemKind, Map.of(), description, v -> {
      if (!(v instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException("a mapping of keys to lists of " + itemKind + " (e.g. {key: [a, b]})");
      }
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        try {
          out.put(String.valueOf(e.getKey()), list.check().apply(e.getValue()));
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException("for key '" + e.getKey() + "' " + ex.getMessage());
        }
      }
      return out;
    });
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
