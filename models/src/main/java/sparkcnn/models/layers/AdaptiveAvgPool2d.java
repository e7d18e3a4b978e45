package sparkcnn.models.layers;

import sparkcnn.kernels.PoolKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/**
 * Average pooling to a fixed p x q grid whatever the input size (AlexNet's 6x6 and VGG's 7x7 before the
 * classifier, GoogLeNet's 4x4 side heads): the classifier's size, hence the parameter count, stays the published
 * one at any resolution.
 */
public final class AdaptiveAvgPool2d implements Layer {
  private final int p;
  private final int q;
  private int[] inShape;
  private Tensor y;
  private Tensor dx;

  public AdaptiveAvgPool2d(int p, int q) {
    if (p <= 0 || q <= 0) {
      throw new IllegalArgumentException("adaptive avg pool: output size must be positive, got " + p + "x" + q);
    }
    this.p = p;
    this.q = q;
  }

  @Override
  public int[] outputShape(int[] in) {
    Shapes.image(describe(), in, 0);
    return new int[] {in[0], in[1], p, q};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    inShape = x.shape();
    y = Buffers.ensure(y, outputShape(inShape));
    PoolKernels.adaptiveAvgForward(x.data, x.offset, y.data, y.offset, inShape[0] * inShape[1], inShape[2],
        inShape[3], p, q);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, inShape);
    PoolKernels.adaptiveAvgBackward(dy.data, dy.offset, dx.data, dx.offset, inShape[0] * inShape[1], inShape[2],
        inShape[3], p, q);
    return dx;
  }

  @Override
  public String describe() {
    return "adaptive avg pool " + p + "x" + q;
  }
}
