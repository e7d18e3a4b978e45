package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkcnn.kernels.Conv3dGeom;
import sparkcnn.kernels.Conv3dKernels;
import sparkcnn.kernels.Shape;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Binder;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;

/** 3D convolution over volumes (N, C, D, H, W): cubic kernels, symmetric padding, optional bias. */
public final class Conv3d implements Layer {
  private final int in;
  private final int out;
  private final int kernel;
  private final int stride;
  private final int padding;
  private final int dilation;
  private final int groups;
  private final boolean bias;
  private final WeightsAndBias wb;
  private Conv3dGeom geom;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public Conv3d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
    if (in <= 0 || out <= 0 || kernel <= 0 || groups <= 0 || in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException("conv3d " + in + "->" + out + ": channels and kernel must be positive and "
          + "groups must divide both channel counts");
    }
    this.in = in;
    this.out = out;
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    this.bias = bias;
    this.wb = new WeightsAndBias((long) out * (in / groups) * kernel * kernel * kernel,
        (in / groups) * kernel * kernel * kernel, out, bias);
  }

  private Conv3dGeom geometry(int[] s) {
    if (s.length != 5 || s[1] != in) {
      throw new IllegalArgumentException(describe() + ": expects (N, " + in + ", D, H, W), got " + Shape.show(s));
    }
    try {
      return new Conv3dGeom(s[0], in, s[2], s[3], s[4], out, kernel, kernel, kernel, stride, padding, dilation, groups);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public int[] outputShape(int[] s) {
    return geometry(s).outputShape();
  }

  @Override
  public long macs(int[] in) {
    Conv3dGeom g = geometry(in);
    return (long) g.n() * g.k() * g.outVolume() * g.colRows();
  }

  @Override
  public int[] window() {
    return new int[] {dilation * (kernel - 1) + 1, stride};
  }

  @Override
  public int paramCount() {
    return wb.count();
  }

  @Override
  public void bind(Binder b) {
    wb.bind(b);
  }

  @Override
  public void init(SplittableRandom rnd) {
    wb.init(rnd);
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    if (geom == null || !Arrays.equals(geom.inputShape(), input.shape())) {
      geom = geometry(input.shape());
    }
    y = Buffers.ensure(y, geom.outputShape());
    Conv3dKernels.forward(input.data, input.offset, wb.params, wb.wOff, wb.biasArray(), wb.bOff, y.data,
        y.offset, geom);
    x = input;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    Conv3dKernels.backwardWeights(x.data, x.offset, dy.data, dy.offset, wb.grads, wb.wOff, geom);
    if (bias) {
      Conv3dKernels.backwardBias(dy.data, dy.offset, wb.grads, wb.bOff, geom);
    }
    dx = Buffers.ensure(dx, geom.inputShape());
    Conv3dKernels.backwardInput(dy.data, dy.offset, wb.params, wb.wOff, dx.data, dx.offset, geom);
    return dx;
  }

  @Override
  public String describe() {
    return "conv3d " + kernel + "x" + kernel + "x" + kernel + " " + in + "->" + out + " stride " + stride
        + (padding > 0 ? " pad " + padding : "") + (dilation > 1 ? " dilation " + dilation : "")
        + (groups > 1 ? " groups " + groups : "");
  }
}
