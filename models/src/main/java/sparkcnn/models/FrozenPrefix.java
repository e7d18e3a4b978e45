package sparkcnn.models;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.InferenceGraph;
import sparkcnn.models.layers.Sequential;

/**
 * A frozen backbone: the layers that hold a model's first {@code frozen} parameters, plus the parameter-free
 * layers that follow them up to the first trained layer. The frozen part runs in evaluation mode (running
 * batch-norm statistics, no dropout, as Keras freezes batch norm) and backward stops where it begins, so it
 * costs one forward and nothing else, and its parameters and running statistics stay bit-identical. Or its
 * output is computed once ({@link #features}) and training feeds those features to the rest ({@link #skip}).
 *
 * <p>The cut is a path through nested sequential containers: at each level, the index of the first child that is
 * not wholly frozen, descending into it while it is a sequential holding frozen and trained parameters both. A
 * cut inside any other container (a residual block, parallel branches) has no single tensor to stop at and is
 * refused, naming the layer.
 */
final class FrozenPrefix {
  /** What a forward through the cut runs: both sides, only the frozen side, or only the trained side. */
  enum Part { ALL, FROZEN, TRAINED }

  private final int[] cut;
  private final int params;
  private final int state;

  private FrozenPrefix(int[] cut, int params, int state) {
    this.cut = cut;
    this.params = params;
    this.state = state;
  }

  /** The cut after the first frozenParams parameters of root; fails naming where it cannot cut. */
  static FrozenPrefix of(Model model, int frozenParams) {
    Layer root = model.root();
    if (frozenParams <= 0 || frozenParams >= model.paramCount()) {
      throw new IllegalArgumentException(model.name() + ": can freeze 1 to " + (model.paramCount() - 1)
          + " leading parameters (something must train), not " + frozenParams);
    }
    List<Integer> path = new ArrayList<>();
    int[] start = {0, 0}; // parameters and state before the current layer
    Layer layer = root;
    String name = "";
    while (true) {
      if (!(layer instanceof Sequential)) {
        throw new IllegalArgumentException(model.name() + ": the frozen part would end inside layer '"
            + (name.isEmpty() ? "(root)" : name) + "' (" + layer.describe() + "), which is not a sequence of layers;"
            + " freeze whole blocks");
      }
      List<Layer> children = layer.children();
      int i = 0;
      while (i < children.size() && start[0] + children.get(i).paramCount() <= frozenParams) {
        start[0] += children.get(i).paramCount();
        start[1] += children.get(i).stateCount();
        i++;
      }
      path.add(i);
      if (start[0] == frozenParams) {
        return new FrozenPrefix(path.stream().mapToInt(Integer::intValue).toArray(), frozenParams, start[1]);
      }
      layer = children.get(i); // straddles the cut
      name = name.isEmpty() ? Integer.toString(i) : name + "." + i;
    }
  }

  int params() {
    return params;
  }

  int state() {
    return state;
  }

  /** Runs the part asked for (see {@link Part}); the frozen side always in evaluation mode. */
  Tensor forward(Layer root, Tensor x, boolean training, Part part) {
    return forward(root, 0, x, training, part);
  }

  private Tensor forward(Layer layer, int depth, Tensor x, boolean training, Part part) {
    List<Layer> children = layer.children();
    int c = cut[depth];
    boolean straddles = depth < cut.length - 1;
    if (part != Part.TRAINED) {
      for (int i = 0; i < c; i++) {
        x = children.get(i).forward(x, false);
      }
    }
    if (straddles) {
      x = forward(children.get(c), depth + 1, x, training, part);
    }
    if (part != Part.FROZEN) {
      for (int i = straddles ? c + 1 : c; i < children.size(); i++) {
        x = children.get(i).forward(x, training);
      }
    }
    return x;
  }

  /**
   * Whether the cut separates a convolution from the batch norm right after it, or from the one that opens the
   * sequence right after it: folding the inference graph would then move a trained batch norm (and the
   * activation after it) into the frozen convolution.
   */
  boolean splitsConvolutionAndNorm(Layer root) {
    Layer layer = root;
    for (int depth = 0; depth < cut.length - 1; depth++) {
      layer = layer.children().get(cut[depth]);
    }
    List<Layer> children = layer.children();
    int c = cut[cut.length - 1];
    // (A cut never falls at the start of a nested sequence: of() stops in front of it instead.)
    return c > 0 && c < children.size() && children.get(c - 1) instanceof sparkcnn.models.layers.Conv2d
        && (children.get(c) instanceof sparkcnn.models.layers.BatchNorm2d
            || InferenceGraph.leadingNorm(children.get(c)) != null);
  }

  /** The frozen side's output shape for a model input shape (with the batch dimension). */
  int[] outputShape(Layer root, int[] in) {
    int[] s = in;
    Layer layer = root;
    for (int depth = 0; depth < cut.length; depth++) {
      List<Layer> children = layer.children();
      for (int i = 0; i < cut[depth]; i++) {
        s = children.get(i).outputShape(s);
      }
      if (depth < cut.length - 1) {
        layer = children.get(cut[depth]);
      }
    }
    return s;
  }

  /**
   * Backward of the trained side only (the last training forward's), telling finished(layer) after each child
   * as {@link Sequential#backward(Tensor, Consumer)} does. Returns null: nothing needs the input's gradient.
   */
  void backward(Layer root, Tensor dy, Consumer<Layer> finished) {
    backward(root, 0, dy, finished);
  }

  private Tensor backward(Layer layer, int depth, Tensor dy, Consumer<Layer> finished) {
    List<Layer> children = layer.children();
    int c = cut[depth];
    boolean straddles = depth < cut.length - 1;
    for (int i = children.size() - 1; i >= (straddles ? c + 1 : c); i--) {
      Layer l = children.get(i);
      dy = l instanceof Sequential s ? s.backward(dy, finished) : l.backward(dy);
      finished.accept(l);
    }
    if (straddles) {
      dy = backward(children.get(c), depth + 1, dy, finished);
      finished.accept(children.get(c));
    }
    return dy;
  }
}
