package sparkcnn.models;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkcnn.kernels.Shape;
import sparkcnn.kernels.Tensor;

/**
 * A network with all its parameters in ONE flat array, all gradients in another and all batch-norm running
 * statistics in a third: broadcasting, aggregating, stepping an optimizer or writing a checkpoint each move one
 * array. Layers get their views by walking the tree once ({@link Binder}).
 */
public final class Model {
  private final String name;
  private final Layer root;
  private final int[] inputShape;
  private final float[] params;
  private final float[] grads;
  private final float[] state;
  private final boolean[] decay;

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
    this.decay = new boolean[params.length];
    Binder binder = new Binder(params, grads, state, decay);
    root.bind(binder);
    if (binder.paramsUsed() != params.length || binder.stateUsed() != state.length) {
      throw new IllegalStateException(name + ": layers bound " + binder.paramsUsed() + " parameters and "
          + binder.stateUsed() + " state floats but declared " + params.length + " and " + state.length);
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
    return root.forward(x, training);
  }

  /** Back-propagates dL/d(output) of the last training forward; gradients accumulate into {@link #grads()}. */
  public Tensor backward(Tensor dy) {
    return root.backward(dy);
  }
}
