package sparkcnn.jobs.config;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a job file: nested sections of {@link Field}s. {@link #validate} walks a parsed file, rejects
 * unknown keys and bad values with one message naming the file, the key path, the bad value and what is
 * allowed, and returns every key path with its value or default ("training.epochs" -> 10).
 */
public final class Schema {
  private final Map<String, Object> tree;

  /** tree: key -> Field or nested Map (a section). */
  public Schema(Map<String, Object> tree) {
    this.tree = tree;
  }

  public Map<String, Object> validate(String file, Map<String, Object> doc) {
    Map<String, Object> out = new LinkedHashMap<>();
    walk(file, "", tree, doc, out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void walk(String file, String prefix, Map<String, Object> schema, Map<String, Object> doc,
      Map<String, Object> out) {
    if (doc != null) {
      for (String key : doc.keySet()) {
        if (!schema.containsKey(key)) {
          throw new ConfigException(file + ": unknown key '" + prefix + key + "' (allowed in "
              + (prefix.isEmpty() ? "the top level" : "'" + prefix.substring(0, prefix.length() - 1) + "'") + ": "
              + String.join(", ", schema.keySet()) + ")");
        }
      }
    }
    for (Map.Entry<String, Object> e : schema.entrySet()) {
      String path = prefix + e.getKey();
      Object raw = doc == null ? null : doc.get(e.getKey());
      if (e.getValue() instanceof Field f) {
        if (raw == null) {
          out.put(path, f.dflt());
          continue;
        }
        try {
          out.put(path, f.check().apply(raw));
        } catch (IllegalArgumentException ex) {
          throw new ConfigException(file + ": " + path + ": got '" + raw + "', expected " + ex.getMessage());
        }
      } else {
        if (raw != null && !(raw instanceof Map<?, ?>)) {
          throw new ConfigException(file + ": " + path + ": got '" + raw + "', expected a section of keys ("
              + String.join(", ", ((Map<String, Object>) e.getValue()).keySet()) + ")");
        }
        walk(file, path + ".", (Map<String, Object>) e.getValue(), (Map<String, Object>) raw, out);
      }
    }
  }

  /** Applies "key.path=value" overrides to a parsed document, creating sections as needed. */
  @SuppressWarnings("unchecked")
  public static void override(Map<String, Object> doc, String assignment) {
    int eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new ConfigException("--set " + assignment + ": expected key.path=value");
    }
    String[] keys = assignment.substring(0, eq).trim().split("\\.", -1);
    if (keys.length == 0 || Arrays.stream(keys).anyMatch(String::isBlank)) {
      throw new ConfigException("--set " + assignment + ": expected key.path=value, with no empty key between dots");
    }
    String value = assignment.substring(eq + 1).trim();
    Map<String, Object> m = doc;
    for (int i = 0; i < keys.length - 1; i++) {
      Object next = m.get(keys[i]);
      if (!(next instanceof Map<?, ?>)) {
        next = new LinkedHashMap<String, Object>();
        m.put(keys[i], next);
      }
      m = (Map<String, Object>) next;
    }
    Object parsed = value.startsWith("[") || value.startsWith("{")
        ? Yaml.parse("--set", "v: " + value).get("v") : Yaml.scalar(value);
    m.put(keys[keys.length - 1], parsed);
  }

  /** Every key path with its field, in schema order ("training.lr" -> its Field). */
  public Map<String, Field> fields() {
    Map<String, Field> out = new LinkedHashMap<>();
    fields("", tree, out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void fields(String prefix, Map<String, Object> schema, Map<String, Field> out) {
    schema.forEach((k, v) -> {
      if (v instanceof Field f) {
        out.put(prefix + k, f);
      } else {
        fields(prefix + k + ".", (Map<String, Object>) v, out);
      }
    });
  }

  /** The documentation of a schema: one line per key with its type and default. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    describe("", tree, sb);
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  private static void describe(String prefix, Map<String, Object> schema, StringBuilder sb) {
    for (Map.Entry<String, Object> e : schema.entrySet()) {
      if (e.getValue() instanceof Field f) {
        String type = f.type().length() > 60 ? "" : "; " + f.type();
        sb.append(String.format("  %-30s %s%s%s%n", prefix + e.getKey(), f.description(), type,
            f.dflt() == null ? "" : "; default " + f.dflt()));
      } else {
        describe(prefix + e.getKey() + ".", (Map<String, Object>) e.getValue(), sb);
      }
    }
  }
}
