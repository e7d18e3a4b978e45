package sparkcnn.models.layers;

import java.util.List;
import sparkcnn.kernels.Broadcast;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Elementwise;
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

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, x.shape());
    ds = Buffers.ensure(ds, s.shape());
    Broadcast.multiplyBackward(dy.data, dy.offset, x.data, x.offset, x.shape(), s.data, s.offset, gateShape, dx.data,
        dx.offset, ds.data, ds.offset);
    Tensor viaGate = gate.backward(ds);
    Elementwise.addInto(dx, viaGate);
    return dx;
  }

  @Override
  public String describe() {
    return "squeeze-excite " + channels;
  }
}
