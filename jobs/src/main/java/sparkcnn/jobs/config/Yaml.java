package sparkcnn.jobs.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset of YAML job files use: nested block mappings and sequences by indentation, flow sequences
 * [a, b] and flow mappings {k: v} on one line, plain, single- and double-quoted scalars, comments. Scalars become
 * Long, Double, Boolean, null or String. Errors name the file and line. (No anchors, tags or multi-line
 * scalars: job files do not need them, and Spark's own YAML library is not ours to depend on.)
 */
public final class Yaml {
  private final String source;
  private final List<Line> lines = new ArrayList<>();
  private int pos;

  private record Line(int number, int indent, String text) {}

  /** Flow collections deeper than this are refused (no job key nests more than two). */
  private static final int MAX_DEPTH = 32;

  private Yaml(String source, String text) {
    this.source = source;
    // A byte-order mark (some editors write one) would otherwise join the first key's name, unseen.
    String[] raw = (text.startsWith("\uFEFF") ? text.substring(1) : text).split("\r?\n", -1);
    for (int i = 0; i < raw.length; i++) {
      String t = stripComment(raw[i]);
      if (t.isBlank() || t.trim().equals("---")) {
        continue;
      }
      if (t.contains("\t") && t.substring(0, t.length() - t.stripLeading().length()).contains("\t")) {
        throw new ConfigException(source + ":" + (i + 1) + ": tabs are not allowed for indentation");
      }
      int indent = t.length() - t.stripLeading().length();
      lines.add(new Line(i + 1, indent, t.strip()));
    }
  }

  /** Parses a document whose top level is a mapping. */
  public static Map<String, Object> parse(String source, String text) {
    Yaml y = new Yaml(source, text);
    if (y.lines.isEmpty()) {
      return new LinkedHashMap<>();
    }
    Object v = y.block(y.lines.get(0).indent());
    if (y.pos < y.lines.size()) {
      Line l = y.lines.get(y.pos);
      throw new ConfigException(source + ":" + l.number() + ": unexpected indentation");
    }
    if (!(v instanceof Map<?, ?>)) {
      throw new ConfigException(source + ": the top level must be a mapping of keys");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) v;
    return m;
  }

  private Object block(int indent) {
    Line first = lines.get(pos);
    return first.text().startsWith("- ") || first.text().equals("-") ? sequence(indent) : mapping(indent);
  }

  private Map<String, Object> mapping(int indent) {
    Map<String, Object> m = new LinkedHashMap<>();
    while (pos < lines.size() && lines.get(pos).indent() == indent) {
      Line l = lines.get(pos);
      int colon = keyColon(l.text());
      if (colon < 0) {
        throw new ConfigException(source + ":" + l.number() + ": expected 'key: value', got '" + l.text() + "'");
      }
      String key = unquote(l.text().substring(0, colon).strip());
      String rest = l.text().substring(colon + 1).strip();
      if (m.containsKey(key)) {
        throw new ConfigException(source + ":" + l.number() + ": key '" + key + "' appears twice");
      }
      pos++;
      if (rest.isEmpty()) {
        if (pos < lines.size() && lines.get(pos).indent() > indent) {
          m.put(key, block(lines.get(pos).indent()));
        } else if (pos < lines.size() && lines.get(pos).indent() == indent && lines.get(pos).text().startsWith("- ")) {
          m.put(key, sequence(indent));
        } else {
          m.put(key, null);
        }
      } else {
        m.put(key, inline(rest, l.number()));
      }
    }
    return m;
  }

  private List<Object> sequence(int indent) {
    List<Object> list = new ArrayList<>();
    while (pos < lines.size() && lines.get(pos).indent() == indent
        && (lines.get(pos).text().startsWith("- ") || lines.get(pos).text().equals("-"))) {
      Line l = lines.get(pos);
      String rest = l.text().substring(1).strip();
      pos++;
      if (rest.isEmpty()) {
        list.add(pos < lines.size() && lines.get(pos).indent() > indent ? block(lines.get(pos).indent()) : null);
      } else if (keyColon(rest) > 0 && !rest.startsWith("{") && !rest.startsWith("[") && !isOneQuoted(rest)) {
        // "- key: value" starts a mapping item; its further keys are indented to the first key's column.
        int itemIndent = l.indent() + (l.text().length() - rest.length());
        lines.set(pos - 1, new Line(l.number(), itemIndent, rest));
        pos--;
        list.add(mapping(itemIndent));
      } else {
        list.add(inline(rest, l.number()));
      }
    }
    return list;
  }

  private Object inline(String text, int line) {
    if (text.startsWith("[") || text.startsWith("{")) {
      int[] at = {0};
      Object v = flow(text, at, line, 0);
      if (!text.substring(at[0]).isBlank()) {
        throw new ConfigException(source + ":" + line + ": unexpected text after '" + text.substring(0, at[0]) + "'");
      }
      return v;
    }
    return value(text, line);
  }

  /**
   * A scalar written in the file, checked for what this subset does not read and would otherwise take as text: an
   * unclosed quote or text after the closing one, YAML's block scalars, anchors, aliases and tags, and a second
   * "key: value" on the line.
   */
  private Object value(String t, int line) {
    if (!t.isEmpty() && (t.charAt(0) == '"' || t.charAt(0) == '\'')) {
      int end = closingQuote(t, 0, line);
      if (end != t.length() - 1) {
        throw new ConfigException(source + ":" + line + ": unexpected text after the quoted '" + t.substring(0, end + 1)
            + "'");
      }
      return t.substring(1, end);
    }
    if (!t.isEmpty() && "|>&*!".indexOf(t.charAt(0)) >= 0) {
      throw new ConfigException(source + ":" + line + ": '" + t + "': block scalars (| >), anchors (&), aliases (*)"
          + " and tags (!) are not supported in job files; write the value on one line, quoted if it starts so");
    }
    if (!t.isEmpty() && "%@`".indexOf(t.charAt(0)) >= 0) {
      throw new ConfigException(source + ":" + line + ": '" + t + "': YAML reserves '" + t.charAt(0)
          + "' at the start of a value; quote the value");
    }
    if (keyColon(t) >= 0) {
      throw new ConfigException(source + ":" + line + ": '" + t + "' holds a second 'key: value'; nest it on its own"
          + " line or quote the value");
    }
    return scalar(t);
  }

  /** A flow collection or scalar at s[at[0]], depth collections deep (bounded: each level is a call). */
  private Object flow(String s, int[] at, int line, int depth) {
    skip(s, at);
    if (at[0] >= s.length()) {
      throw unclosed(s, line);
    }
    if (depth > MAX_DEPTH) {
      throw new ConfigException(source + ":" + line + ": collections nested more than " + MAX_DEPTH + " deep");
    }
    char open = s.charAt(at[0]);
    if (open == '[' || open == '{') {
      char close = open == '[' ? ']' : '}';
      at[0]++;
      List<Object> list = new ArrayList<>();
      Map<String, Object> map = new LinkedHashMap<>();
      skip(s, at);
      if (at[0] < s.length() && s.charAt(at[0]) == close) {
        at[0]++;
        return open == '[' ? list : map;
      }
      while (true) {
        if (open == '[') {
          list.add(flow(s, at, line, depth + 1));
        } else {
          String key = String.valueOf(atom(s, at, line, true));
          skip(s, at);
          if (at[0] >= s.length() || s.charAt(at[0]) != ':') {
            throw new ConfigException(source + ":" + line + ": expected ':' after '" + key + "' in '" + s + "'");
          }
          at[0]++;
          map.put(key, flow(s, at, line, depth + 1));
        }
        skip(s, at);
        if (at[0] >= s.length()) {
          throw new ConfigException(source + ":" + line + ": unclosed '" + open + "' in '" + s + "'");
        }
        char c = s.charAt(at[0]++);
        if (c == close) {
          return open == '[' ? list : map;
        }
        if (c != ',') {
          throw new ConfigException(source + ":" + line + ": expected ',' or '" + close + "' in '" + s + "'");
        }
      }
    }
    return atom(s, at, line, false);
  }

  private Object atom(String s, int[] at, int line, boolean key) {
    skip(s, at);
    int start = at[0];
    if (start < s.length() && (s.charAt(start) == '"' || s.charAt(start) == '\'')) {
      int end = closingQuote(s, start, line);
      at[0] = end + 1;
      return s.substring(start + 1, end);
    }
    while (at[0] < s.length() && ",]}".indexOf(s.charAt(at[0])) < 0 && !(key && s.charAt(at[0]) == ':')) {
      at[0]++;
    }
    String t = s.substring(start, at[0]).strip();
    if (t.isEmpty() && at[0] >= s.length()) {
      throw unclosed(s, line);
    }
    if (t.isEmpty()) {
      // "[1,,2]", "[1, ]", "{: 1}": YAML reads an empty entry as null or refuses it; a job file means neither.
      throw new ConfigException(source + ":" + line + ": expected a " + (key ? "key" : "value") + " at column "
          + (start + 1) + " of '" + s + "'");
    }
    return key ? t : value(t, line);
  }

  /**
   * The index of the quote closing the one at s[start]. Quoted scalars here hold no escapes: YAML's doubled single
   * quote ('it''s') and backslash escapes in double quotes ("a\\"b") are refused by name rather than misread.
   */
  private int closingQuote(String s, int start, int line) {
    char q = s.charAt(start);
    int end = s.indexOf(q, start + 1);
    if (end < 0) {
      throw new ConfigException(source + ":" + line + ": unclosed quote in '" + s + "'");
    }
    boolean doubled = q == '\'' && end + 1 < s.length() && s.charAt(end + 1) == '\'';
    boolean escaped = q == '"' && s.charAt(end - 1) == '\\';
    if (doubled || escaped) {
      throw new ConfigException(source + ":" + line + ": escaped quotes are not supported in job files ('"
          + s.substring(start) + "'); quote the value with the other quote character");
    }
    return end;
  }

  /** The text ends inside the flow collection s opens. */
  private ConfigException unclosed(String s, int line) {
    return new ConfigException(source + ":" + line + ": unclosed '" + s.charAt(0) + "' in '" + s + "'");
  }

  private static void skip(String s, int[] at) {
    while (at[0] < s.length() && s.charAt(at[0]) == ' ') {
      at[0]++;
    }
  }

  /** A plain or quoted scalar: null, booleans, integers, decimals, else the string. */
  public static Object scalar(String t) {
    if (isQuoted(t)) {
      return t.substring(1, t.length() - 1);
    }
    switch (t) {
      case "", "~", "null" -> {
        return null;
      }
      case "true" -> {
        return Boolean.TRUE;
      }
      case "false" -> {
        return Boolean.FALSE;
      }
      default -> { }
    }
    if (t.matches("[-+]?[0-9]+")) {
      try {
        return Long.parseLong(t);
      } catch (NumberFormatException e) {
        return t;
      }
    }
    if (t.matches("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")) {
      return Double.parseDouble(t);
    }
    return t;
  }

  /** t is one quoted scalar: its first quote closes at its last character (not "'a': 'b'"). */
  private static boolean isOneQuoted(String t) {
    return isQuoted(t) && t.indexOf(t.charAt(0), 1) == t.length() - 1;
  }

  private static boolean isQuoted(String t) {
    return t.length() >= 2 && (t.charAt(0) == '"' && t.endsWith("\"") || t.charAt(0) == '\'' && t.endsWith("'"));
  }

  private static String unquote(String t) {
    return isQuoted(t) ? t.substring(1, t.length() - 1) : t;
  }

  /** The colon that ends a mapping key (followed by a space or the end), outside quotes; -1 if none. */
  private static int keyColon(String t) {
    char quote = 0;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (quote != 0) {
        quote = c == quote ? 0 : quote;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == ':' && (i + 1 == t.length() || t.charAt(i + 1) == ' ')) {
        return i;
      } else if (c == '[' || c == '{') {
        return -1;
      }
    }
    return -1;
  }

  private static String stripComment(String line) {
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        quote = c == quote ? 0 : quote;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#' && (i == 0 || line.charAt(i - 1) == ' ')) {
        return line.substring(0, i);
      }
    }
    return line;
  }
}
