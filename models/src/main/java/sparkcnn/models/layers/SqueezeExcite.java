package sparkcnn.models.layers;

import java.util.List;
import sparkcnn.kernels.Broadcast;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.ReceptiveField;
import sparkcnn.models.Tracer;
import sparkcnn.models.Shapes;

/**
 * Squeeze-and-excitation (Hu et al., 2018): y = x * s with per-channel gates s = sigmoid(W2 act(W1 avg(x)))
 * broadcast over H, W. act is ReLU in SENet, SiLU in EfficientNet. The gradient reaches x through both the
 * product and the gate.
 */
public final class SqueezeExcite implements Layer {
  private final int channels;
  private final Sequential gate;
  private Tensor x;
  private Tensor s;
  private Tensor y;
  private Tensor dx;
  private Tensor ds;
  private int[] gateShape;

  public SqueezeExcite(int channels, int reduced, Activation.Kind act) {
    if (channels <= 0 || reduced <= 0) {
      throw new IllegalArgumentException("squeeze-excite " + channels + "->" + reduced + ": sizes must be positive");
    }
    this.channels = channels;
    // The pool first: backward stops at its output (see backward).
    this.gate = Sequential.of(new GlobalAvgPool(), new Linear(channels, reduced, true), new Activation(act),
        new Linear(reduced, channels, true), new Activation(Activation.Kind.SIGMOID));
  }

  @Override
  public int[] outputShape(int[] in) {
    Shapes.image(describe(), in, channels);
    return in.clone();
  }

  @Override
  public List<Layer> children() {
    return List.of(gate);
  }

  @Override
  public ReceptiveField trace(int[] in, ReceptiveField field, Tracer tracer) {
    gate.trace(in, field, tracer);
    return field;
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    outputShape(input.shape());
    x = input;
    s = gate.forward(input, training);
    gateShape = new int[] {input.dim(0), channels, 1, 1};
    y = Buffers.ensure(y, input.shape());
    Broadcast.multiply(input.data, input.offset, input.shape(), s.data, s.offset, gateShape, y.data, y.offset);
    return y;
  }

  /** Inference: the gates s (N x C) alone, for a layer that applies them itself ({@link GateIntoPointwise}). */
  Tensor gates(Tensor input) {
    outputShape(input.shape());
    return gate.forward(input, false);
  }

  /**
   * The gate's gradient (the dot of dy and x per plane) in a first sweep, back through the gate's layers to the
   * output of its average pool, then dx = dy s + that gradient spread over each plane in a second. The pool's
   * backward would write its gradient as a whole tensor, and adding it to the product's a third and fourth pass:
   * seven passes over the activation became four.
   */
  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, x.shape());
    ds = Buffers.ensure(ds, s.shape());
    Broadcast.multiplyBackward(dy.data, dy.offset, x.data, x.offset, x.shape(), s.data, s.offset, gateShape, null,
        0, ds.data, ds.offset);
    Tensor dMean = gate.backwardDownTo(ds, 1); // the pool's output gradient, (N, C)
    Broadcast.gateAndMeanBackward(dy.data, dy.offset, s.data, s.offset, dMean.data, dMean.offset,
        x.dim(0) * channels, x.dim(2) * x.dim(3), dx.data, dx.offset);
    return dx;
  }

  @Override
  public String describe() {
    return "squeeze-excite " + channels;
  }
}
