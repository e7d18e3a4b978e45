package sparkcnn.jobs.config;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Reads a job file, applies --set overrides and validates it against a schema: the typed key -> value view. */
public final class JobFile {
  private final String file;
  private final Map<String, Object> values;

  private JobFile(String file, Map<String, Object> values) {
    this.file = file;
    this.values = values;
  }

  public static JobFile load(String file, Schema schema, List<String> overrides) {
    String text;
    try {
      text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such job file");
    } catch (MalformedInputException e) {
      throw new ConfigException(file + ": not UTF-8 text (a job file is YAML; is this the right file?)");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")");
    }
    Map<String, Object> doc = Yaml.parse(file, text);
    for (String o : overrides) {
      Schema.override(doc, o);
    }
    return new JobFile(file, schema.validate(file, doc));
  }

  /** A job given as a parsed document instead of a file (the Spark ML params); name stands for the file in errors. */
  public static JobFile of(String name, Schema schema, Map<String, Object> doc) {
    return new JobFile(name, schema.validate(name, doc));
  }

  public String file() {
    return file;
  }

  public boolean has(String key) {
    return values.get(key) != null;
  }

  public String string(String key) {
    Object v = values.get(key);
    return v == null ? null : v.toString();
  }

  public long integer(String key) {
    return ((Number) values.get(key)).longValue();
  }

  public double number(String key) {
    return ((Number) values.get(key)).doubleValue();
  }

  public Double numberOrNull(String key) {
    Object v = values.get(key);
    return v == null ? null : ((Number) v).doubleValue();
  }

  public boolean bool(String key) {
    return Boolean.TRUE.equals(values.get(key));
  }

  @SuppressWarnings("unchecked")
  public List<Object> list(String key) {
    Object v = values.get(key);
    return v == null ? List.of() : (List<Object>) v;
  }

  @SuppressWarnings("unchecked")
  public Map<String, String> map(String key) {
    Object v = values.get(key);
    return v == null ? Map.of() : (Map<String, String>) v;
  }

  /** A {@link Field#lists} value: key -> list. */
  @SuppressWarnings("unchecked")
  public Map<String, List<Object>> lists(String key) {
    Object v = values.get(key);
    return v == null ? Map.of() : (Map<String, List<Object>>) v;
  }

  /** A failure about one key, worded like the schema's. */
  public ConfigException error(String key, Object value, String expected) {
    return new ConfigException(file + ": " + key + ": got '" + value + "', expected " + expected);
  }
}
