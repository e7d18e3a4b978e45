package sparkcnn.models.layers;

import sparkcnn.kernels.Activations;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;

/** An element-wise activation: ReLU, ReLU6 (MobileNet v2), sigmoid, tanh or SiLU/swish (EfficientNet). */
public final class Activation implements Layer {
  /** The functions. */
  public enum Kind { RELU, RELU6, SIGMOID, TANH, SILU }

  private final Kind kind;
  private Tensor x;
  private Tensor y;
  private Tensor dx;
  /** The last forward ran inside the batch norm before it ({@link Sequential}), which also takes the derivative. */
  private boolean absorbed;

  public Activation(Kind kind) {
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** The kernels' form of this function. */
  public Activations.Fn fn() {
    return Activations.Fn.valueOf(kind.name());
  }

  /** Whether the last forward ran inside the batch norm before it (see {@link Sequential#forward}). */
  public boolean ranInsideNorm() {
    return absorbed;
  }

  /** Called instead of forward when the batch norm before this activation applied it: backward passes dy on. */
  void absorb() {
    absorbed = true;
  }

  @Override
  public int[] outputShape(int[] in) {
    return in.clone();
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    absorbed = false;
    y = Buffers.ensure(y, input.shape());
    int n = input.size();
    switch (kind) {
      case RELU -> Activations.relu(input.data, input.offset, y.data, y.offset, n);
      case RELU6 -> Activations.relu6(input.data, input.offset, y.data, y.offset, n);
      case SIGMOID -> Activations.sigmoid(input.data, input.offset, y.data, y.offset, n);
      case TANH -> Activations.tanh(input.data, input.offset, y.data, y.offset, n);
      case SILU -> Activations.silu(input.data, input.offset, y.data, y.offset, n);
      default -> throw new IllegalStateException(kind.toString());
    }
    x = input;
    return y;
  }

  /** Whether {@link #forwardSum} applies: ReLU and ReLU6, whose derivative their output gives as well as x. */
  boolean sumsInOnePass() {
    return kind == Kind.RELU || kind == Kind.RELU6;
  }

  /**
   * y = f(a + b) in one pass (a residual block's sum and this activation after it): the sum is never written, and
   * backward takes the derivative from y, which for ReLU (y > 0) and ReLU6 (0 < y < 6) selects what x did.
   */
  Tensor forwardSum(Tensor a, Tensor b) {
    if (!sumsInOnePass()) {
      throw new IllegalStateException(describe() + ": its derivative needs its input");
    }
    absorbed = false;
    y = Buffers.ensure(y, a.shape());
    Activations.sumClamped(a.data, a.offset, b.data, b.offset, kind == Kind.RELU6, y.data, y.offset, y.size());
    x = y;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (absorbed) {
      return dy;
    }
    dx = Buffers.ensure(dx, x.shape());
    int n = x.size();
    switch (kind) {
      case RELU -> Activations.reluBackward(x.data, x.offset, dy.data, dy.offset, dx.data, dx.offset, n);
      case RELU6 -> Activations.relu6Backward(x.data, x.offset, dy.data, dy.offset, dx.data, dx.offset, n);
      case SIGMOID -> Activations.sigmoidBackward(y.data, y.offset, dy.data, dy.offset, dx.data, dx.offset, n);
      case TANH -> Activations.tanhBackward(y.data, y.offset, dy.data, dy.offset, dx.data, dx.offset, n);
      case SILU -> Activations.siluBackward(x.data, x.offset, dy.data, dy.offset, dx.data, dx.offset, n);
      default -> throw new IllegalStateException(kind.toString());
    }
    return dx;
  }

  @Override
  public String describe() {
    return kind.toString().toLowerCase(java.util.Locale.ROOT);
  }
}
