package sparkcnn.models.layers;

import java.util.Arrays;
import sparkcnn.kernels.ConvGeom;
import sparkcnn.kernels.PoolKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/**
 * Max or average pooling over k x k windows. Average pooling divides by the whole window (countPadding) or by
 * the pixels it covers. Padding = {@link Conv2d#SAME} gives TensorFlow's "same" output size.
 */
public final class Pool2d implements Layer {
  private final boolean max;
  private final int kernel;
  private final int stride;
  private final int padding;
  private final boolean countPadding;
  private ConvGeom geom;
  private int[] argmax;
  private Tensor y;
  private Tensor dx;

  private Pool2d(boolean max, int kernel, int stride, int padding, boolean countPadding) {
    if (kernel <= 0 || stride <= 0 || padding < Conv2d.SAME) {
      throw new IllegalArgumentException("pool " + kernel + "x" + kernel + " stride " + stride
          + ": kernel and stride must be positive, padding non-negative (or SAME)");
    }
    this.max = max;
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.countPadding = countPadding;
  }

  public static Pool2d max(int kernel, int stride, int padding) {
    return new Pool2d(true, kernel, stride, padding, false);
  }

  public static Pool2d avg(int kernel, int stride, int padding, boolean countPadding) {
    return new Pool2d(false, kernel, stride, padding, countPadding);
  }

  /** The pooling geometry for an input shape (batch included). */
  ConvGeom geometry(int[] in) {
    Shapes.image(describe(), in, 0);
    try {
      if (padding == Conv2d.SAME) {
        ConvGeom same = ConvGeom.same(in[0], in[1], in[2], in[3], in[1], kernel, kernel, stride, 1, in[1]);
        return new ConvGeom(in[0], in[1], in[2], in[3], in[1], kernel, kernel, stride, stride, same.padTop(),
            same.padLeft(), same.padBottom(), same.padRight(), 1, 1, in[1]);
      }
      return ConvGeom.pool(in[0], in[1], in[2], in[3], kernel, kernel, stride, padding);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public int[] outputShape(int[] in) {
    return geometry(in).outputShape();
  }

  @Override
  public int[] window() {
    return new int[] {kernel, stride};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    if (geom == null || !Arrays.equals(geom.inputShape(), x.shape())) {
      geom = geometry(x.shape());
      argmax = new int[geom.outputSize()];
    }
    y = Buffers.ensure(y, geom.outputShape());
    if (max) {
      PoolKernels.maxForward(x.data, x.offset, y.data, y.offset, argmax, geom);
    } else {
      PoolKernels.avgForward(x.data, x.offset, y.data, y.offset, geom, countPadding);
    }
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, geom.inputShape());
    if (max) {
      PoolKernels.maxBackward(dy.data, dy.offset, argmax, dx.data, dx.offset, geom);
    } else {
      PoolKernels.avgBackward(dy.data, dy.offset, dx.data, dx.offset, geom, countPadding);
    }
    return dx;
  }

  boolean isMax() {
    return max;
  }

  /** Whether this is a 2x2 stride-2 window without explicit padding ("same" pads only odd sizes). */
  boolean isTwoByTwo() {
    return kernel == 2 && stride == 2 && (padding == 0 || padding == Conv2d.SAME);
  }

  /** The geometry of the last forward (null before one), and its arg-max, for {@link MaxUnpool2d}. */
  sparkcnn.kernels.ConvGeom geometry() {
    return geom;
  }

  int[] argmax() {
    return argmax;
  }

  /** The input shape this pool maps to an output shape out (explicit padding: PyTorch's unpool size). */
  int[] inputShapeFor(int[] out) {
    int pad = Math.max(padding, 0);
    return new int[] {out[0], out[1], (out[2] - 1) * stride - 2 * pad + kernel, (out[3] - 1) * stride - 2 * pad + kernel};
  }

  @Override
  public String describe() {
    return (max ? "max pool " : "avg pool ") + kernel + "x" + kernel + " stride " + stride
        + (padding == Conv2d.SAME ? " same" : padding > 0 ? " pad " + padding : "");
  }
}
