package sparkcnn.models.layers;

import java.util.Arrays;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/**
 * The parameter-free "option A" shortcut of CIFAR ResNets (He et al., 2015): keeps every stride-th pixel and
 * zero-pads the channels, half before and half after, from in to out.
 */
public final class PadChannels implements Layer {
  private final int in;
  private final int out;
  private final int stride;
  private int[] inShape;
  private Tensor y;
  private Tensor dx;

  public PadChannels(int in, int out, int stride) {
    if (in <= 0 || out < in || stride <= 0 || (out - in) % 2 != 0) {
      throw new IllegalArgumentException("pad channels " + in + "->" + out + ": needs 0 < in <= out with an even "
          + "difference and a positive stride");
    }
    this.in = in;
    this.out = out;
    this.stride = stride;
  }

  @Override
  public int[] outputShape(int[] s) {
    Shapes.image(describe(), s, in);
    return new int[] {s[0], out, (s[2] + stride - 1) / stride, (s[3] + stride - 1) / stride};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    inShape = x.shape();
    int[] o = outputShape(inShape);
    y = Buffers.ensure(y, o);
    Arrays.fill(y.data, y.offset, y.offset + y.size(), 0f);
    copy(x, y, inShape, o, true);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, inShape);
    Arrays.fill(dx.data, dx.offset, dx.offset + dx.size(), 0f);
    copy(dx, dy, inShape, dy.shape(), false);
    return dx;
  }

  /** Moves the kept pixels between small (N, in, H, W) and big (N, out, H', W'), in the direction forward says. */
  private void copy(Tensor small, Tensor big, int[] s, int[] o, boolean forward) {
    int before = (out - in) / 2;
    for (int n = 0; n < s[0]; n++) {
      for (int c = 0; c < in; c++) {
        for (int i = 0; i < o[2]; i++) {
          for (int j = 0; j < o[3]; j++) {
            int a = small.offset + ((n * in + c) * s[2] + i * stride) * s[3] + j * stride;
            int b = big.offset + ((n * out + c + before) * o[2] + i) * o[3] + j;
            if (forward) {
              big.data[b] = small.data[a];
            } else {
              small.data[a] = big.data[b];
            }
          }
        }
      }
    }
  }

  @Override
  public String describe() {
    return "pad channels " + in + "->" + out + " stride " + stride;
  }
}
