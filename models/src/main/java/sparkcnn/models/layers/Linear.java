package sparkcnn.models.layers;

import java.util.Arrays;
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
  private float[] params;
  private float[] grads;
  private int wOff;
  private int bOff;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public Linear(int in, int out, boolean bias) {
    if (in <= 0 || out <= 0) {
      throw new IllegalArgumentException("linear " + in + "->" + out + ": sizes must be positive");
    }
    this.in = in;
    this.out = out;
    this.bias = bias;
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
    return out * in + (bias ? out : 0);
  }

  @Override
  public void bind(Binder b) {
    params = b.params;
    grads = b.grads;
    wOff = b.params(out * in, true);
    bOff = bias ? b.params(out, false) : -1;
  }

  @Override
  public void init(SplittableRandom rnd) {
    Init.kaimingNormal(params, wOff, out * in, in, rnd);
    if (bias) {
      Arrays.fill(params, bOff, bOff + out, 0f);
    }
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    int n = outputShape(input.shape())[0];
    y = Buffers.ensure(y, n, out);
    Gemm.gemm(false, true, n, out, in, 1f, input.data, input.offset, in, params, wOff, in, 0f, y.data, y.offset, out);
    if (bias) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < out; j++) {
          y.data[y.offset + i * out + j] += params[bOff + j];
        }
      }
    }
    x = input;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    int n = x.dim(0);
    Gemm.gemm(true, false, out, in, n, 1f, dy.data, dy.offset, out, x.data, x.offset, in, 1f, grads, wOff, in);
    if (bias) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < out; j++) {
          grads[bOff + j] += dy.data[dy.offset + i * out + j];
        }
      }
    }
    dx = Buffers.ensure(dx, n, in);
    Gemm.gemm(false, false, n, in, out, 1f, dy.data, dy.offset, out, params, wOff, in, 0f, dx.data, dx.offset, in);
    return dx;
  }

  @Override
  public String describe() {
    return "linear " + in + "->" + out;
  }
}
