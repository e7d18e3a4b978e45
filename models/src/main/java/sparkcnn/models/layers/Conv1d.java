package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkcnn.kernels.Conv1dKernels;
import sparkcnn.kernels.Conv2dKernels;
import sparkcnn.kernels.ConvGeom;
import sparkcnn.kernels.Shape;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Binder;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;

/** 1D convolution over sequences (N, C, L): weights (out, in / groups, k), symmetric padding, optional bias. */
public final class Conv1d implements Layer {
  private final int in;
  private final int out;
  private final int kernel;
  private final int stride;
  private final int padding;
  private final int dilation;
  private final int groups;
  private final boolean bias;
  private final WeightsAndBias wb;
  private ConvGeom geom;
  private int[] inShape;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public Conv1d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
    if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || dilation <= 0 || groups <= 0 || padding < 0
        || in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException(describe(in, out, kernel, stride) + ": sizes must be positive, padding "
          + "non-negative, and groups must divide both channel counts");
    }
    this.in = in;
    this.out = out;
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    this.bias = bias;
    this.wb = new WeightsAndBias((long) out * (in / groups) * kernel, (in / groups) * kernel, out, bias);
  }

  private static String describe(int in, int out, int kernel, int stride) {
    return "conv1d " + kernel + " " + in + "->" + out + " stride " + stride;
  }

  private ConvGeom geometry(int[] s) {
    if (s.length != 3 || s[1] != in) {
      throw new IllegalArgumentException(describe() + ": expects (N, " + in + ", L), got " + Shape.show(s));
    }
    try {
      return Conv1dKernels.geom(s[0], in, s[2], out, kernel, stride, padding, padding, dilation, groups);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public int[] outputShape(int[] s) {
    ConvGeom g = geometry(s);
    return new int[] {s[0], out, g.q()};
  }

  @Override
  public long macs(int[] in) {
    return geometry(in).macs();
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
    if (geom == null || !Arrays.equals(inShape, input.shape())) {
      geom = geometry(input.shape());
      inShape = input.shape();
    }
    y = Buffers.ensure(y, input.dim(0), out, geom.q());
    Conv1dKernels.forward(input.data, input.offset, wb.params, wb.wOff, wb.biasArray(), wb.bOff, y.data,
        y.offset, geom);
    x = input;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    Conv1dKernels.backwardWeights(x.data, x.offset, dy.data, dy.offset, wb.grads, wb.wOff, geom);
    if (bias) {
      Conv2dKernels.backwardBias(dy.data, dy.offset, wb.grads, wb.bOff, geom);
    }
    dx = Buffers.ensure(dx, inShape);
    Conv1dKernels.backwardInput(dy.data, dy.offset, wb.params, wb.wOff, dx.data, dx.offset, geom);
    return dx;
  }

  @Override
  public String describe() {
    return describe(in, out, kernel, stride) + (padding > 0 ? " pad " + padding : "")
        + (dilation > 1 ? " dilation " + dilation : "") + (groups > 1 ? " groups " + groups : "");
  }
}
