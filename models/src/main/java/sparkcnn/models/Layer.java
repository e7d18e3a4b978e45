package sparkcnn.models;

import java.util.List;
import java.util.SplittableRandom;
import sparkcnn.kernels.Tensor;

/**
 * One step of a network: a thin shell over kernels. Shapes include the batch dimension, e.g. (N, C, H, W).
 * A layer keeps what its backward needs from the last training forward, reuses its output buffers while the
 * input shape stays the same, and accumulates parameter gradients (+=) into the views it was bound to.
 */
public interface Layer {
  /** The output shape for an input shape; pure, and fails with a message naming the layer if it cannot apply. */
  int[] outputShape(int[] in);

  /**
   * The layers a container runs, in the order their parameters sit in the flat buffers. Leaves have none. The
   * defaults below walk them, so a container only says what it contains.
   */
  default List<Layer> children() {
    return List.of();
  }

  /** Floats this layer (and its children) hold in the model's flat parameter buffer. */
  default int paramCount() {
    // Exact: a wrapped sum would read as a small network (an ArithmeticException past 2^31; see Model).
    return children().stream().mapToInt(Layer::paramCount).reduce(0, Math::addExact);
  }

  /** Floats of non-trainable state (batch-norm running statistics) in the model's flat state buffer. */
  default int stateCount() {
    return children().stream().mapToInt(Layer::stateCount).reduce(0, Math::addExact);
  }

  /** Takes this layer's slices of the flat buffers, in a fixed walk order. */
  default void bind(Binder binder) {
    children().forEach(c -> c.bind(binder));
  }

  /** Initializes this layer's parameters and state (already bound). */
  default void init(SplittableRandom rnd) {
    children().forEach(c -> c.init(rnd));
  }

  /** Multiply-accumulates of one forward for input shape in: conv and linear layers count, the rest is 0. */
  default long macs(int[] in) {
    return 0;
  }

  /** The spatial window {extent, stride} a leaf looks through, for the receptive field; null for none. */
  default int[] window() {
    return null;
  }

  /**
   * Shape inference with a report: hands every leaf, in forward order, its input and output shapes, and returns
   * the receptive field after this layer. Containers route shapes to their children the way forward routes data.
   */
  default ReceptiveField trace(int[] in, ReceptiveField field, Tracer tracer) {
    tracer.leaf(this, in, outputShape(in));
    int[] w = window();
    return w == null ? field : field.through(w[0], w[1]);
  }

  Tensor forward(Tensor x, boolean training);

  /** Returns dL/dx for dL/dy of the last forward; parameter gradients accumulate. */
  Tensor backward(Tensor dy);

  /** A short description for summaries and errors, e.g. "conv 3x3 64->64 stride 1". */
  String describe();
}
