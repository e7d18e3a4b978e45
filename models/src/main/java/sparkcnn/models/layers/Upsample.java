package sparkcnn.models.layers;

import sparkcnn.kernels.Tensor;
import sparkcnn.kernels.UpsampleKernels;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/** Upsampling by an integer factor: nearest neighbour, or bed of nails (zeros except each block's top-left). */
public final class Upsample implements Layer {
  private final int factor;
  private final boolean nearest;
  private int[] in;
  private Tensor y;
  private Tensor dx;

  public Upsample(int factor, boolean nearest) {
    if (factor <= 0) {
      throw new IllegalArgumentException("upsample: factor must be positive, got " + factor);
    }
    this.factor = factor;
    this.nearest = nearest;
  }

  @Override
  public int[] outputShape(int[] s) {
    Shapes.image(describe(), s, 0);
    return new int[] {s[0], s[1], s[2] * factor, s[3] * factor};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    in = x.shape();
    y = Buffers.ensure(y, outputShape(in));
    if (nearest) {
      UpsampleKernels.nearestForward(x.data, x.offset, y.data, y.offset, in[0] * in[1], in[2], in[3], factor);
    } else {
      UpsampleKernels.bedOfNailsForward(x.data, x.offset, y.data, y.offset, in[0] * in[1], in[2], in[3], factor);
    }
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, in);
    if (nearest) {
      UpsampleKernels.nearestBackward(dy.data, dy.offset, dx.data, dx.offset, in[0] * in[1], in[2], in[3], factor);
    } else {
      UpsampleKernels.bedOfNailsBackward(dy.data, dy.offset, dx.data, dx.offset, in[0] * in[1], in[2], in[3], factor);
    }
    return dx;
  }

  @Override
  public String describe() {
    return (nearest ? "nearest" : "bed-of-nails") + " upsample x" + factor;
  }
}
