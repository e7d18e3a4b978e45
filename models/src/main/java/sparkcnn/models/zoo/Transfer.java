package sparkcnn.models.zoo;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Layer;
import sparkcnn.models.Model;

/**
 * Transfer learning between instances of an architecture family: which layers are the classifier head (those
 * whose size follows the class count), which parameters a list of names freezes, and starting a model from
 * another run's checkpoint with layers matched by name.
 */
public final class Transfer {
  /** What starting from a checkpoint did: layers copied, and layers left at their fresh initialization. */
  public record Report(int copied, List<String> reinitialized) {}

  private Transfer() {}

  /**
   * The names of the layers whose parameter count depends on the class count: found by building the layer tree
   * once more with one more class and comparing, so every family's head is found the same way.
   */
  public static List<String> head(ModelSpec spec) {
    Map<String, Integer> a = leafParams(Zoo.layers(spec));
    Map<String, Integer> b = leafParams(Zoo.layers(new ModelSpec(spec.name(), spec.classes() + 1, spec.channels(),
        spec.height(), spec.width(), spec.scaling())));
    List<String> head = new ArrayList<>();
    a.forEach((name, n) -> {
      if (!n.equals(b.get(name))) {
        head.add(name);
      }
    });
    return head;
  }

  /**
   * How many leading parameters the names freeze. A name is a layer (as {@code summary} lists them, "3.0.1") or a
   * prefix of layers ("3" is everything under the network's fourth element); {@code stem} is the network's first
   * element, {@code head} its classifier head, {@code all_but_head} everything before the head. The frozen layers
   * must be a leading run of the network (so a frozen backbone costs a forward only); fails naming the name or
   * layer that is not. Leaves model unfrozen.
   */
  public static int frozenParams(ModelSpec spec, Model model, List<String> names) {
    if (names.isEmpty()) {
      return 0;
    }
    List<String> head = head(spec);
    List<Model.Part> parts = model.parts().stream().filter(p -> p.paramCount() > 0).toList();
    boolean[] frozen = new boolean[parts.size()];
    for (String n : names) {
      boolean[] match = select(spec, model, parts, head, n);
      for (int i = 0; i < frozen.length; i++) {
        frozen[i] |= match[i];
      }
    }
    int count = 0;
    for (int i = 0; i < parts.size(); i++) {
      if (frozen[i] && i > 0 && !frozen[i - 1]) {
        throw new IllegalArgumentException("layer '" + parts.get(i).name() + "' is frozen but layer '"
            + parts.get(i - 1).name() + "' (" + parts.get(i - 1).layer().describe() + ") before it is not: freeze "
            + "a leading run of the network (a backbone), e.g. all_but_head");
      }
      if (frozen[i]) {
        count = parts.get(i).paramOffset() + parts.get(i).paramCount();
      }
    }
    if (count == model.paramCount()) {
      throw new IllegalArgumentException("every layer of " + spec.name() + " would be frozen; nothing would train");
    }
    model.freeze(count).freeze(0); // fails, naming the layer, if the cut falls inside a residual block or branches
    return count;
  }

  /**
   * Per-parameter learning-rate multipliers from (layer name or prefix, as for freezing) -> multiplier entries,
   * applied in order so a later entry overrides an earlier one where both match; parameters no entry names keep
   * 1. Null for no entries. Fails naming a name that matches no layer.
   */
  public static float[] rates(ModelSpec spec, Model model, Map<String, Double> multipliers) {
    if (multipliers.isEmpty()) {
      return null;
    }
    List<String> head = head(spec);
    List<Model.Part> parts = model.parts().stream().filter(p -> p.paramCount() > 0).toList();
    float[] rates = new float[model.paramCount()];
    java.util.Arrays.fill(rates, 1f);
    multipliers.forEach((n, m) -> {
      boolean[] match = select(spec, model, parts, head, n);
      for (int i = 0; i < match.length; i++) {
        if (match[i]) {
          Model.Part p = parts.get(i);
          java.util.Arrays.fill(rates, p.paramOffset(), p.paramOffset() + p.paramCount(), m.floatValue());
        }
      }
    });
    return rates;
  }

  /** Which of parts a name selects: a layer or prefix, or stem, head, all_but_head; fails if none. */
  private static boolean[] select(ModelSpec spec, Model model, List<Model.Part> parts, List<String> head, String n) {
    // all_but_head stops at the main classifier: auxiliary side heads (GoogLeNet's) come earlier and are kept.
    List<String> sides = new ArrayList<>();
    sideOutputs(model.root(), "", sides);
    List<String> mainHead = head.stream().filter(h -> sides.stream().noneMatch(p -> under(h, p))).toList();
    boolean[] match = new boolean[parts.size()];
    boolean any = false;
    for (int i = 0; i < parts.size(); i++) {
      String layer = parts.get(i).name();
      match[i] = switch (n) {
        case "stem" -> under(layer, "0");
        case "head" -> head.contains(layer);
        case "all_but_head" -> i < firstHead(parts, mainHead);
        default -> under(layer, n);
      };
      any |= match[i];
    }
    if (!any) {
      throw new IllegalArgumentException("'" + n + "' names no layer with parameters of " + spec.name()
          + " (names are paths such as " + exampleNames(parts) + ", or stem, head, all_but_head; bin/sparkcnn "
          + "summary --model " + spec.name() + " lists them)");
    }
    return match;
  }

  /**
   * Copies a checkpoint's parameters and running statistics into model (built for spec and initialized), layer
   * by layer, matched by name, kind and size. A head layer whose size differs (another class count) keeps its
   * fresh initialization and is listed; any other difference, or a layer one side lacks, fails naming it
   * (IllegalArgumentException); a damaged checkpoint fails with an IOException naming source.
   */
  public static Report initFrom(Model model, ModelSpec spec, Checkpoint.Contents c, String source)
      throws IOException {
    Model from = Zoo.restore(c, source);
    ModelSpec theirs = ModelSpec.fromMap(c.spec());
    Map<String, Model.Part> mine = byName(model.parts());
    Map<String, Model.Part> other = byName(from.parts());
    List<String> head = head(spec);
    List<String> reinitialized = new ArrayList<>();
    int copied = 0;
    for (Model.Part p : mine.values()) {
      Model.Part q = other.get(p.name());
      boolean same = q != null && q.signature().equals(p.signature());
      if (same) {
        System.arraycopy(from.params(), q.paramOffset(), model.params(), p.paramOffset(), p.paramCount());
        System.arraycopy(from.state(), q.stateOffset(), model.state(), p.stateOffset(), p.stateCount());
        copied++;
      } else if (head.contains(p.name())) {
        reinitialized.add(p.name() + " (" + p.layer().describe() + ")");
      } else {
        throw new IllegalArgumentException(source + " (" + theirs.name() + " " + theirs.input() + ", "
            + theirs.classes() + " classes) does not fit " + spec.name() + " " + spec.input() + ": layer '"
            + p.name() + "' is " + p.signature() + " here but " + (q == null ? "missing" : q.signature())
            + " in the checkpoint");
      }
    }
    for (Model.Part q : other.values()) {
      if (!mine.containsKey(q.name())) {
        throw new IllegalArgumentException(source + " has layer '" + q.name() + "' (" + q.layer().describe()
            + ") that " + spec.name() + " " + spec.input() + " lacks: not the same architecture");
      }
    }
    return new Report(copied, reinitialized);
  }

  private static Map<String, Model.Part> byName(List<Model.Part> parts) {
    Map<String, Model.Part> m = new LinkedHashMap<>();
    parts.forEach(p -> m.put(p.name(), p));
    return m;
  }

  private static int firstHead(List<Model.Part> parts, List<String> head) {
    for (int i = 0; i < parts.size(); i++) {
      if (head.contains(parts.get(i).name())) {
        return i;
      }
    }
    return parts.size();
  }

  /** The names of the side outputs in a layer tree (paths as {@link Model#forEachLeaf} names leaves). */
  private static void sideOutputs(Layer layer, String name, List<String> out) {
    if (layer instanceof sparkcnn.models.layers.SideOutput) {
      out.add(name);
      return;
    }
    List<Layer> children = layer.children();
    for (int i = 0; i < children.size(); i++) {
      sideOutputs(children.get(i), name.isEmpty() ? Integer.toString(i) : name + "." + i, out);
    }
  }

  private static boolean under(String layer, String prefix) {
    return layer.equals(prefix) || layer.startsWith(prefix + ".");
  }

  private static String exampleNames(List<Model.Part> parts) {
    List<String> top = new ArrayList<>();
    for (Model.Part p : parts) {
      String t = p.name().contains(".") ? p.name().substring(0, p.name().indexOf('.')) : p.name();
      if (!top.contains(t)) {
        top.add(t);
      }
    }
    return String.join(", ", top.subList(0, Math.min(top.size(), 8))) + (top.size() > 8 ? ", ..." : "");
  }

  /** Every leaf holding parameters, by its path name (as {@link Model#parts} names them), with its count. */
  private static Map<String, Integer> leafParams(Layer root) {
    Map<String, Integer> out = new LinkedHashMap<>();
    Model.forEachLeaf(root, (name, layer) -> {
      if (layer.paramCount() > 0) {
        out.put(name, layer.paramCount());
      }
    });
    return out;
  }
}
