package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import sparkcnn.kernels.Shape;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Elementwise;
import sparkcnn.models.Layer;
import sparkcnn.models.ReceptiveField;
import sparkcnn.models.Tracer;

/**
 * y = after(body(x) + shortcut(x)) (He et al., 2015): the shortcut is the identity (null) or a projection (1x1
 * conv + batch norm when the shape changes); after is an activation or null (pre-activation blocks put their
 * activations inside the body instead). The gradient reaches x through both branches and is summed.
 */
public final class Residual implements Layer {
  private final Layer body;
  private final Layer shortcut;
  private final Layer after;
  private Tensor sum;
  private Tensor dx;

  public Residual(Layer body, Layer shortcut, Layer after) {
    this.body = body;
    this.shortcut = shortcut;
    this.after = after;
  }

  @Override
  public int[] outputShape(int[] in) {
    int[] main = body.outputShape(in);
    int[] side = shortcut == null ? in : shortcut.outputShape(in);
    if (!Arrays.equals(main, side)) {
      throw new IllegalArgumentException("residual: the body gives " + Shape.show(main) + " but the shortcut gives "
          + Shape.show(side) + " (add a projection shortcut)");
    }
    return after == null ? main : after.outputShape(main);
  }

  @Override
  public List<Layer> children() {
    return Stream.of(body, shortcut, after).filter(Objects::nonNull).toList();
  }

  @Override
  public ReceptiveField trace(int[] in, ReceptiveField field, Tracer tracer) {
    ReceptiveField f = body.trace(in, field, tracer);
    if (shortcut != null) {
      f = f.max(shortcut.trace(in, field, tracer));
    }
    return after == null ? f : after.trace(body.outputShape(in), f, tracer);
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    Tensor main = body.forward(x, training);
    Tensor side = shortcut == null ? x : shortcut.forward(x, training);
    if (after instanceof Activation act && act.sumsInOnePass()) {
      // ResNet's ReLU after the sum in the same pass: the sum is not written and read back (the forward's add and
      // ReLU were about 5% of cifar_resnet20's training samples, the fused pass 1.4%).
      return act.forwardSum(main, side);
    }
    sum = Buffers.ensure(sum, main.shape());
    Elementwise.sum(main, side, sum);
    return after == null ? sum : after.forward(sum, training);
  }

  @Override
  public Tensor backward(Tensor dy) {
    Tensor dsum = after == null ? dy : after.backward(dy);
    Tensor dMain = body.backward(dsum);
    Tensor dSide = shortcut == null ? dsum : shortcut.backward(dsum);
    // One pass (read both, write dx) rather than a copy and then an add: the same floats, a pass fewer.
    dx = Buffers.ensure(dx, dMain.shape());
    Elementwise.sum(dMain, dSide, dx);
    return dx;
  }

  /** Tests: whether a forward wrote the sum apart (never, where the activation after it runs in the add's pass). */
  boolean wroteSum() {
    return sum != null;
  }

  @Override
  public String describe() {
    return shortcut == null ? "residual (identity)" : "residual (projection)";
  }
}
