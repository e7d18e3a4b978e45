package sparkcnn.models.layers;

import java.util.SplittableRandom;
import sparkcnn.kernels.Gemm;
import sparkcnn.kernels.Shape;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Binder;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;

/** Fully connected: y (N, out) = x (N, in) W^T + b, W (out, in) Kaiming-normal. */
public final class Linear implements Layer {
  private final int in;
  private final int out;
  private final boolean bias;
  private final WeightsAndBias wb;
  /**
   * W^T in the GEMM's packed panels, in an inference graph (whose weights change only when it is refolded):
   * packing them again in every product took a fifth of tf_convnet's 3136 -> 1024 layer. Null in training graphs,
   * and above {@link #PACKED_LIMIT} floats, where the copy's memory would outweigh the gain.
   */
  private float[] packed;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  /** Largest weight matrix kept packed: 64 MB (VGG's and AlexNet's first hidden layers pack per product). */
  static final long PACKED_LIMIT = 1L << 24;

  public Linear(int in, int out, boolean bias) {
    if (in <= 0 || out <= 0) {
      throw new IllegalArgumentException("linear " + in + "->" + out + ": sizes must be positive");
    }
    this.in = in;
    this.out = out;
    this.bias = bias;
    this.wb = new WeightsAndBias((long) out * in, in, out, bias);
  }

  @Override
  public int[] outputShape(int[] shape) {
    if (shape.length != 2 || shape[1] != in) {
      throw new IllegalArgumentException(describe() + ": expects (N, " + in + "), got " + Shape.show(shape)
          + (shape.length > 2 ? " (add a flatten before it)" : ""));
    }
    return new int[] {shape[0], out};
  }

  @Override
  public long macs(int[] shape) {
    return (long) shape[0] * in * out;
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
    int n = outputShape(input.shape())[0];
    y = Buffers.ensure(y, n, out);
    if (packed != null) {
      Gemm.gemmPackedB(false, n, out, in, 1f, input.data, input.offset, in, packed, 0, 0f, y.data, y.offset, out);
    } else {
      Gemm.gemm(false, true, n, out, in, 1f, input.data, input.offset, in, wb.params, wb.wOff, in, 0f, y.data,
          y.offset, out);
    }
    if (bias) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < out; j++) {
          y.data[y.offset + i * out + j] += wb.params[wb.bOff + j];
        }
      }
    }
    x = input;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    int n = x.dim(0);
    Gemm.gemm(true, false, out, in, n, 1f, dy.data, dy.offset, out, x.data, x.offset, in, 1f, wb.grads, wb.wOff, in);
    if (bias) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < out; j++) {
          wb.grads[wb.bOff + j] += dy.data[dy.offset + i * out + j];
        }
      }
    }
    dx = Buffers.ensure(dx, n, in);
    Gemm.gemm(false, false, n, in, out, 1f, dy.data, dy.offset, out, wb.params, wb.wOff, in, 0f, dx.data,
        dx.offset, in);
    return dx;
  }

  /** Packs the weights for an inference graph (again after every refold: they may have been reloaded). */
  void packForInference() {
    packed = (long) in * out <= PACKED_LIMIT ? Gemm.packedB(true, in, out, wb.params, wb.wOff, in, packed) : null;
  }

  @Override
  public String describe() {
    return "linear " + in + "->" + out;
  }
}
