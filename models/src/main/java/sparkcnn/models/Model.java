package sparkcnn.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
  private boolean folded;

  /**
   * @param name what this network is (for summaries, errors and checkpoints)
   * @param inputShape one sample's shape, e.g. (C, H, W); checked against the network here
   */
  public Model(String name, Layer root, int... inputShape) {
    this.name = name;
    this.root = root;
    this.inputShape = inputShape.clone();
    outputShape(1);
    this.params = new float[root.paramCount()];
    this.grads = new float[params.length];
    this.state = new float[root.stateCount()];
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
  }

  /** The layer that holds parameter i, described with its parameter range (for error messages). */
  public String layerAt(int i) {
    for (java.util.Map.Entry<Layer, Integer> e : paramOffsets.entrySet()) {
      Layer l = e.getKey();
      int lo = e.getValue();
      if (l.children().isEmpty() && i >= lo && i < lo + l.paramCount()) {
        return "'" + l.describe() + "' (parameters " + lo + "-" + (lo + l.paramCount() - 1) + ")";
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
  }

  /** Where training forwards add their batch statistics (layout of the state); summed until cleared. */
  public float[] batchStatistics() {
    return stats;
  }

  public void clearBatchStatistics() {
    Arrays.fill(stats, 0f);
  }

  /** The auxiliary classifiers, in walk order (empty for most networks). */
  public List<SideOutput> sideOutputs() {
    return List.copyOf(sideOutputs);
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
   * up to float rounding. The parameter buffer then holds folded weights, so the model can no longer train.
   */
  public Model foldForInference() {
    if (!folded) {
      InferenceGraph.fold(root);
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

  public Tensor forward(Tensor x, boolean training) {
    int[] s = x.shape();
    if (s.length != inputShape.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), inputShape)) {
      throw new IllegalArgumentException(name + ": expects input (N, " + Shape.show(inputShape).substring(1)
          + ", got " + Shape.show(s));
    }
    if (training) {
      if (folded) {
        throw new IllegalStateException(name + ": an inference graph (batch norm folded) cannot train");
      }
    }
    return root.forward(x, training);
  }

  /** Back-propagates dL/d(output) of the last training forward; gradients accumulate into {@link #grads()}. */
  public Tensor backward(Tensor dy) {
    return root.backward(dy);
  }

  /**
   * The same, telling ready(offset) each time the gradients from a parameter offset to the end have received
   * this backward's contribution (after each child of a sequential container, last child first), so that a
   * caller can start sending them while earlier layers still compute (PyTorch DDP's bucketing).
   */
  public Tensor backward(Tensor dy, java.util.function.IntConsumer ready) {
    Tensor dx = root instanceof Sequential s ? s.backward(dy, l -> ready.accept(paramOffsets.get(l)))
        : root.backward(dy);
    ready.accept(0);
    return dx;
  }
}
