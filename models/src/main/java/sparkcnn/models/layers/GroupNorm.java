package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkcnn.kernels.GroupNormKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Binder;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/** Group normalization; {@link #layerNorm} is one group, {@link #instanceNorm} one channel per group. */
public final class GroupNorm implements Layer {
  private final int channels;
  private final int groups;
  private float[] params;
  private float[] grads;
  private int pOff;
  private float[] saveMean;
  private float[] saveInvStd;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public GroupNorm(int channels, int groups) {
    if (channels <= 0 || groups <= 0 || channels % groups != 0) {
      throw new IllegalArgumentException("group norm: " + groups + " groups must divide " + channels + " channels");
    }
    this.channels = channels;
    this.groups = groups;
  }

  public static GroupNorm layerNorm(int channels) {
    return new GroupNorm(channels, 1);
  }

  public static GroupNorm instanceNorm(int channels) {
    return new GroupNorm(channels, channels);
  }

  @Override
  public int[] outputShape(int[] in) {
    Shapes.image(describe(), in, channels);
    return in.clone();
  }

  @Override
  public int paramCount() {
    return Math.multiplyExact(2, channels);
  }

  @Override
  public void bind(Binder b) {
    params = b.params;
    grads = b.grads;
    pOff = b.params(2 * channels, false);
  }

  @Override
  public void init(SplittableRandom rnd) {
    Arrays.fill(params, pOff, pOff + channels, 1f);
    Arrays.fill(params, pOff + channels, pOff + 2 * channels, 0f);
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    outputShape(input.shape());
    int n = input.dim(0);
    if (saveMean == null || saveMean.length != n * groups) {
      saveMean = new float[n * groups];
      saveInvStd = new float[n * groups];
    }
    y = Buffers.ensure(y, input.shape());
    GroupNormKernels.forward(input.data, input.offset, params, pOff, params, pOff + channels, y.data, y.offset, n,
        channels, input.dim(2) * input.dim(3), groups, 1e-5f, saveMean, saveInvStd);
    x = input;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, x.shape());
    GroupNormKernels.backward(x.data, x.offset, dy.data, dy.offset, params, pOff, saveMean, saveInvStd, dx.data,
        dx.offset, grads, pOff, grads, pOff + channels, x.dim(0), channels, x.dim(2) * x.dim(3), groups);
    return dx;
  }

  @Override
  public String describe() {
    return groups == 1 ? "layer norm " + channels : groups == channels ? "instance norm " + channels
        : "group norm " + channels + "/" + groups;
  }
}
