package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkcnn.kernels.ConvGeom;
import sparkcnn.kernels.ConvTranspose2dKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Binder;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/** Transposed convolution (U-Net's up path): weights (in, out, k, k), output size (H - 1) stride - 2 pad + k + outPad. */
public final class ConvTranspose2d implements Layer {
  private final int in;
  private final int out;
  private final int kernel;
  private final int stride;
  private final int padding;
  private final int outputPadding;
  private final WeightsAndBias wb;
  private ConvGeom geom;
  private int[] inShape;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public ConvTranspose2d(int in, int out, int kernel, int stride, int padding, int outputPadding) {
    if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
      throw new IllegalArgumentException("transposed conv " + in + "->" + out + ": sizes must be positive");
    }
    this.in = in;
    this.out = out;
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.outputPadding = outputPadding;
    this.wb = new WeightsAndBias((long) in * out * kernel * kernel, in * kernel * kernel, out, true);
  }

  private ConvGeom geometry(int[] s) {
    Shapes.image(describe(), s, in);
    try {
      return ConvTranspose2dKernels.geom(s[0], in, s[2], s[3], out, kernel, kernel, stride, padding, 1, outputPadding,
          1);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public int[] outputShape(int[] s) {
    return geometry(s).inputShape();
  }

  @Override
  public long macs(int[] s) {
    return geometry(s).macs();
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
    y = Buffers.ensure(y, geom.inputShape());
    ConvTranspose2dKernels.forward(input.data, input.offset, wb.params, wb.wOff, wb.params, wb.bOff, y.data,
        y.offset, geom);
    x = input;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    ConvTranspose2dKernels.backwardWeights(x.data, x.offset, dy.data, dy.offset, wb.grads, wb.wOff, geom);
    ConvTranspose2dKernels.backwardBias(dy.data, dy.offset, wb.grads, wb.bOff, geom);
    dx = Buffers.ensure(dx, inShape);
    ConvTranspose2dKernels.backwardInput(dy.data, dy.offset, wb.params, wb.wOff, dx.data, dx.offset, geom);
    return dx;
  }

  @Override
  public String describe() {
    return "transposed conv " + kernel + "x" + kernel + " " + in + "->" + out + " stride " + stride;
  }
}
