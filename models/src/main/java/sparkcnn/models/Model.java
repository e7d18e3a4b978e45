package sparkcnn.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import sparkcnn.kernels.Shape;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.Dropout;
import sparkcnn.models.layers.InferenceGraph;
import sparkcnn.models.layers.Sequential;
import sparkcnn.models.layers.SideOutput;

/**
 * A network with all its parameters in ONE flat array, all gradients in another and all batch-norm running
 * statistics in a third: broadcasting, aggregating, stepping an optimizer or writing a checkpoint each move one
 * array. Layers get their views by walking the tree once ({@link Binder}). A fourth array, laid out like the
 * state, is where training forwards add their batch statistics; what a step does with them is {@link Step}'s
 * business (they are summed across replicas and passed to its second half explicitly).
 */
public final class Model {
  /** How far one step moves the running statistics toward the step's batch statistics (PyTorch's 0.1). */
  public static final float STATISTICS_MOMENTUM = 0.1f;

  private final String name;
  private final Layer root;
  private final int[] inputShape;
  private final float[] params;
  private final float[] grads;
  private final float[] state;
  private final float[] stats;
  /** Where each layer's parameters start in the flat buffer (for the gradient-ready signal of backward). */
  private final java.util.IdentityHashMap<Layer, Integer> paramOffsets = new java.util.IdentityHashMap<>();
  private final boolean[] decay;
  private final List<SideOutput> sideOutputs = new ArrayList<>();
  private final List<Dropout> dropouts = new ArrayList<>();
  private final List<Part> parts = new ArrayList<>();
  private boolean folded;
  /** Folds the loaded raw parameters into the folded convolutions again (set by foldForInference). */
  private Runnable refold;
  /** The frozen backbone, or null; see {@link #freeze}. */
  private FrozenPrefix frozen;
  /** Whether inputs are the frozen backbone's outputs (pre-computed features) instead of images. */
  private boolean featureInput;
  /** Per-parameter learning-rate multipliers, or null (all 1). */
  private float[] rates;

  /**
   * Refuses a network whose weights, gradients and statistics alone (nine bytes a parameter, eight a state value)
   * pass this JVM's heap (a count past 2^31 is refused while counting, in exact arithmetic): a sweep with phi 20
   * asked for a billion parameters, and the OutOfMemoryError came out of the constructor with a stack trace as the
   * only message.
   */
  static void requireHeapFor(String name, int params, int state) {
    long bytes = 9L * params + 8L * state;
    long heap = Runtime.getRuntime().maxMemory();
    if (bytes > heap) {
      throw ModelTooLarge.pastHeap(name + ": " + String.format(Locale.ROOT, "%,d parameters need %.1f GB for weights,"
          + " gradients and statistics, more than this JVM's heap (%.1f GB)", params, bytes / 1e9, heap / 1e9));
    }
  }

  /**
   * A leaf layer that holds parameters or state, named by its path of child indices from the root ("3.0.1"; "" for
   * a root leaf), with where its parameters and state sit in the flat buffers. Names depend only on the
   * architecture's structure, so the same layer has the same name in every instance of it (fine-tuning matches
   * layers by name).
   */
  public record Part(String name, Layer layer, int paramOffset, int paramCount, int stateOffset, int stateCount) {
    /** What a checkpoint's part must match to be copied: the layer's kind and sizes. */
    public String signature() {
      return layer.describe() + " (" + paramCount + " parameters, " + stateCount + " state values)";
    }
  }

  /**
   * @param name what this network is (for summaries, errors and checkpoints)
   * @param inputShape one sample's shape, e.g. (C, H, W); checked against the network here
   */
  public Model(String name, Layer root, int... inputShape) {
    this.name = name;
    this.root = root;
    this.inputShape = inputShape.clone();
    outputShape(1);
    int paramCount;
    int stateCount;
    try {
      paramCount = root.paramCount();
      stateCount = root.stateCount();
    } catch (ArithmeticException e) {
      // Every count is exact (the layers' own and their sums), so past 2^31 it throws instead of wrapping.
      throw ModelTooLarge.pastArrays(name + ": over 2^31 parameters");
    }
    requireHeapFor(name, paramCount, stateCount);
    this.params = new float[paramCount];
    this.grads = new float[params.length];
    this.state = new float[stateCount];
    this.stats = new float[state.length];
    this.decay = new boolean[params.length];
    Binder binder = new Binder(params, grads, state, stats, decay);
    root.bind(binder);
    if (binder.paramsUsed() != params.length || binder.stateUsed() != state.length) {
      throw new IllegalStateException(name + ": layers bound " + binder.paramsUsed() + " parameters and "
          + binder.stateUsed() + " state floats but declared " + params.length + " and " + state.length);
    }
    int[] offset = {0};
    walk(root, l -> {
      paramOffsets.put(l, offset[0]);
      if (l.children().isEmpty()) {
        offset[0] += l.paramCount();
      }
      if (l instanceof SideOutput s) {
        sideOutputs.add(s);
      } else if (l instanceof Dropout d) {
        dropouts.add(d);
      }
    });
    nameParts(root);
  }

  /** Lists the leaves holding parameters or state in bind order (the order their buffers are laid out in). */
  private void nameParts(Layer root) {
    int[] offsets = {0, 0};
    forEachLeaf(root, (name, layer) -> {
      if (layer.paramCount() > 0 || layer.stateCount() > 0) {
        parts.add(new Part(name, layer, offsets[0], layer.paramCount(), offsets[1], layer.stateCount()));
      }
      offsets[0] += layer.paramCount();
      offsets[1] += layer.stateCount();
    });
  }

  /**
   * Visits the leaves of a layer tree in parameter order with their names: the path of child indices from the
   * root, "3.0.1" ("" for a root that is a leaf).
   */
  public static void forEachLeaf(Layer root, java.util.function.BiConsumer<String, Layer> visitor) {
    visitLeaves(root, "", visitor);
  }

  private static void visitLeaves(Layer layer, String name, java.util.function.BiConsumer<String, Layer> visitor) {
    List<Layer> children = layer.children();
    if (children.isEmpty()) {
      visitor.accept(name, layer);
    }
    for (int i = 0; i < children.size(); i++) {
      visitLeaves(children.get(i), name.isEmpty() ? Integer.toString(i) : name + "." + i, visitor);
    }
  }

  /** The leaves holding parameters or state, named, in buffer order. */
  public List<Part> parts() {
    return List.copyOf(parts);
  }

  /**
   * Freezes the layers holding the first frozenParams parameters (a backbone; 0 unfreezes): they run in
   * evaluation mode and backward stops before them, so they get no gradient and their parameters and running
   * statistics never change. Fails naming the layer if the cut falls inside a container that is not a sequence.
   */
  public Model freeze(int frozenParams) {
    frozen = frozenParams == 0 ? null : FrozenPrefix.of(this, frozenParams);
    featureInput = false;
    return this;
  }

  /**
   * Per-parameter learning-rate multipliers (discriminative rates for fine-tuning: a pre-trained backbone
   * slower than a new head); null for none.
   */
  public Model scaleRates(float[] multipliers) {
    if (multipliers != null && multipliers.length != params.length) {
      throw new IllegalArgumentException(name + ": " + multipliers.length + " rate multipliers for " + params.length
          + " parameters");
    }
    rates = multipliers;
    return this;
  }

  /** The learning-rate multipliers, or null. */
  public float[] rates() {
    return rates;
  }

  /** Parameters of the frozen backbone (0: none); the optimizer leaves them alone. */
  public int frozenParams() {
    return frozen == null ? 0 : frozen.params();
  }

  /** State values (running statistics) of the frozen backbone: they do not move. */
  public int frozenState() {
    return frozen == null ? 0 : frozen.state();
  }

  /**
   * From now on the model's inputs are the frozen backbone's outputs ({@link #features}, computed once) and
   * forward runs only the trained layers after them.
   */
  public Model takeFeatures() {
    if (frozen == null) {
      throw new IllegalStateException(name + ": pre-computed features need a frozen backbone");
    }
    featureInput = true;
    return this;
  }

  /** The frozen backbone's output for images x (evaluation mode): the features the trained layers see. */
  public Tensor features(Tensor x) {
    checkInput(x, inputShape);
    return frozen.forward(root, x, false, FrozenPrefix.Part.FROZEN);
  }

  /**
   * Whether the frozen backbone's features may come from the inference graph ({@link #foldForInference}): not when
   * the cut separates a convolution from its batch norm (the fold would move a trained batch norm into it).
   */
  public boolean backboneFoldable() {
    return frozen != null && !frozen.splitsConvolutionAndNorm(root);
  }

  /** One sample's feature shape (the frozen backbone's output), without the batch dimension. */
  public int[] featureShape() {
    int[] in = new int[inputShape.length + 1];
    in[0] = 1;
    System.arraycopy(inputShape, 0, in, 1, inputShape.length);
    int[] out = frozen.outputShape(root, in);
    return Arrays.copyOfRange(out, 1, out.length);
  }

  /** The layer that holds parameter i, described with its parameter range (for error messages). */
  public String layerAt(int i) {
    for (Part p : parts) {
      if (i >= p.paramOffset() && i < p.paramOffset() + p.paramCount()) {
        return "'" + p.layer().describe() + "' (layer " + p.name() + ", parameters " + p.paramOffset() + "-"
            + (p.paramOffset() + p.paramCount() - 1) + ")";
      }
    }
    return "parameter " + i;
  }

  /** Visits a layer and everything it contains, parents first, in parameter order. */
  public static void walk(Layer layer, Consumer<Layer> visitor) {
    visitor.accept(layer);
    for (Layer c : layer.children()) {
      walk(c, visitor);
    }
  }

  /** Fresh parameters from a seed (Kaiming-normal weights, zero biases, identity batch norms). */
  public Model init(long seed) {
    root.init(new SplittableRandom(seed));
    return this;
  }

  public String name() {
    return name;
  }

  public Layer root() {
    return root;
  }

  /** One sample's input shape, without the batch dimension. */
  public int[] inputShape() {
    return inputShape.clone();
  }

  /** The output shape for a batch of n. */
  public int[] outputShape(int n) {
    int[] in = new int[inputShape.length + 1];
    in[0] = n;
    System.arraycopy(inputShape, 0, in, 1, inputShape.length);
    return root.outputShape(in);
  }

  public float[] params() {
    return params;
  }

  public float[] grads() {
    return grads;
  }

  public float[] state() {
    return state;
  }

  /** Overwrites parameters and state with these (a broadcast snapshot, a scoring member): same sizes required. */
  public void load(float[] newParams, float[] newState) {
    if (newParams.length != params.length || newState.length != state.length) {
      throw new IllegalArgumentException("model '" + name + "': " + newParams.length + " parameters and "
          + newState.length + " state values for its " + params.length + " and " + state.length);
    }
    System.arraycopy(newParams, 0, params, 0, params.length);
    System.arraycopy(newState, 0, state, 0, state.length);
    if (folded) {
      refold.run();
    }
  }

  /** Where training forwards add their batch statistics (layout of the state); summed until cleared. */
  public float[] batchStatistics() {
    return stats;
  }

  public void clearBatchStatistics() {
    Arrays.fill(stats, 0f);
  }

  /** The auxiliary classifiers that train, in walk order (empty for most networks; a frozen one does not). */
  public List<SideOutput> sideOutputs() {
    return sideOutputs.stream().filter(s -> paramOffsets.get(s) >= frozenParams()).toList();
  }

  /** Restarts every dropout layer's masks from seed (each layer its own stream). */
  public void reseedDropout(long seed) {
    for (int i = 0; i < dropouts.size(); i++) {
      dropouts.get(i).reseed(seed * 31 + i);
    }
  }

  /**
   * Turns this model into its inference graph, in place: every batch norm that directly follows a convolution
   * is folded into it, dropout and side outputs are removed. Outputs equal this model's evaluation-mode outputs
   * up to float rounding. The parameter buffer then holds folded weights, so the model can no longer train;
   * {@link #load} takes raw parameters and state (a checkpoint's, a broadcast's) and folds them again, so an
   * evaluation model is folded once and reloaded every epoch (never its own folded {@link #params}: they would
   * be folded twice).
   */
  public Model foldForInference() {
    if (!folded) {
      // With a frozen prefix, no merged layers (row bands, a convolution with its max pool): the prefix cuts the
      // tree by child position, and its cut may fall between layers a merge would make one.
      refold = frozen == null ? InferenceGraph.fold(root) : InferenceGraph.fold(root, false);
      folded = true;
    }
    return this;
  }

  public boolean isFolded() {
    return folded;
  }

  /** Per parameter: whether weight decay applies (conv and linear weights). */
  public boolean[] decayMask() {
    return decay;
  }

  public int paramCount() {
    return params.length;
  }

  public void zeroGrad() {
    Arrays.fill(grads, 0f);
  }

  /**
   * Images x (N, C, H, W), or pre-computed features after {@link #takeFeatures}; with a frozen backbone a
   * training forward runs the backbone in evaluation mode.
   */
  public Tensor forward(Tensor x, boolean training) {
    if (featureInput) {
      x = asFeatures(x);
    }
    checkInput(x, featureInput ? featureShape() : inputShape);
    if (training && folded) {
      throw new IllegalStateException(name + ": an inference graph (batch norm folded) cannot train");
    }
    if (frozen == null) {
      return root.forward(x, training);
    }
    return frozen.forward(root, x, training, featureInput ? FrozenPrefix.Part.TRAINED : FrozenPrefix.Part.ALL);
  }

  /** Features stored as (N, C, 1, 1) blocks for a (C) feature vector: the same floats, viewed in its shape. */
  private Tensor asFeatures(Tensor x) {
    int[] f = featureShape();
    int per = 1;
    for (int d : f) {
      per *= d;
    }
    if (x.dim(0) > 0 && x.size() == x.dim(0) * per && x.shape().length != f.length + 1) {
      int[] shape = new int[f.length + 1];
      shape[0] = x.dim(0);
      System.arraycopy(f, 0, shape, 1, f.length);
      return new Tensor(x.data, x.offset, shape);
    }
    return x;
  }

  private void checkInput(Tensor x, int[] expected) {
    int[] s = x.shape();
    if (s.length != expected.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), expected)) {
      throw new IllegalArgumentException(name + ": expects " + (featureInput ? "features" : "input") + " (N, "
          + Shape.show(expected).substring(1) + ", got " + Shape.show(s));
    }
  }

  /**
   * Back-propagates dL/d(output) of the last training forward; gradients accumulate into {@link #grads()}.
   * Returns dL/d(input), or null with a frozen backbone (backward stops where it begins).
   */
  public Tensor backward(Tensor dy) {
    if (frozen != null) {
      frozen.backward(root, dy, l -> { });
      return null;
    }
    return root.backward(dy);
  }

  /**
   * The same, telling ready(offset) each time the gradients from a parameter offset to the end have received
   * this backward's contribution (after each child of a sequential container, last child first), so that a
   * caller can start sending them while earlier layers still compute (PyTorch DDP's bucketing).
   */
  public Tensor backward(Tensor dy, java.util.function.IntConsumer ready) {
    Tensor dx = null;
    if (frozen != null) {
      frozen.backward(root, dy, l -> ready.accept(paramOffsets.get(l)));
    } else {
      dx = root instanceof Sequential s ? s.backward(dy, l -> ready.accept(paramOffsets.get(l))) : root.backward(dy);
    }
    ready.accept(0);
    return dx;
  }
}
