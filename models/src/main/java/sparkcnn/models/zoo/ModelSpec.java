package sparkcnn.models.zoo;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Everything needed to rebuild a network: registry name, classes, input (C, H, W) and scaling. Checkpoints store
 * it as key=value pairs so a model can be rebuilt from the file alone.
 */
public record ModelSpec(String name, int classes, int channels, int height, int width, Scaling scaling)
    implements Serializable {
  public int[] inputShape() {
    return new int[] {channels, height, width};
  }

  public String input() {
    return channels + "x" + height + "x" + width;
  }

  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("architecture", name);
    m.put("classes", Integer.toString(classes));
    m.put("input", input());
    m.put("width", Double.toString(scaling.width()));
    m.put("depth", Double.toString(scaling.depth()));
    m.put("resolution", Double.toString(scaling.resolution()));
    return m;
  }

  /** The spec a checkpoint stored; fails naming the missing or malformed key. */
  public static ModelSpec fromMap(Map<String, String> m) {
    int[] in = parseInput(require(m, "input"), "input");
    return new ModelSpec(require(m, "architecture"), parseInt(require(m, "classes"), "classes"), in[0], in[1], in[2],
        new Scaling(parseDouble(require(m, "width"), "width"), parseDouble(require(m, "depth"), "depth"),
            parseDouble(require(m, "resolution"), "resolution")));
  }

  /** "CxHxW" to {C, H, W}. */
  public static int[] parseInput(String s, String what) {
    String[] parts = s.toLowerCase(Locale.ROOT).split("x");
    if (parts.length != 3) {
      throw new IllegalArgumentException(what + ": expected CxHxW (e.g. 3x224x224), got '" + s + "'");
    }
    int[] v = new int[3];
    for (int i = 0; i < 3; i++) {
      v[i] = parseInt(parts[i].trim(), what);
      if (v[i] <= 0) {
        throw new IllegalArgumentException(what + ": sizes must be positive, got '" + s + "'");
      }
    }
    return v;
  }

  private static String require(Map<String, String> m, String key) {
    String v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException("model spec: missing key '" + key + "'");
    }
    return v;
  }

  private static int parseInt(String s, String what) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": expected an integer, got '" + s + "'");
    }
  }

  private static double parseDouble(String s, String what) {
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": expected a number, got '" + s + "'");
    }
  }
}
