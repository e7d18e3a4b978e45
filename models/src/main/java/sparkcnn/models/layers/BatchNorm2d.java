package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkcnn.kernels.BatchNormKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Binder;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/**
 * Batch normalization per channel: batch statistics in training (running averages moved with momentum 0.1),
 * running statistics in inference. gamma and beta are parameters without weight decay; the running mean and
 * variance are state, not parameters.
 */
public final class BatchNorm2d implements Layer {
  static final float EPS = 1e-5f;
  static final float MOMENTUM = 0.1f;
  private final int channels;
  private float[] params;
  private float[] grads;
  private float[] state;
  private int pOff;
  private int sOff;
  private final float[] saveMean;
  private final float[] saveInvStd;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public BatchNorm2d(int channels) {
    if (channels <= 0) {
      throw new IllegalArgumentException("batch norm: channels must be positive, got " + channels);
    }
    this.channels = channels;
    this.saveMean = new float[channels];
    this.saveInvStd = new float[channels];
  }

  @Override
  public int[] outputShape(int[] in) {
    Shapes.image(describe(), in, channels);
    return in.clone();
  }

  @Override
  public int paramCount() {
    return 2 * channels;
  }

  @Override
  public int stateCount() {
    return 2 * channels;
  }

  @Override
  public void bind(Binder b) {
    params = b.params;
    grads = b.grads;
    state = b.state;
    pOff = b.params(2 * channels, false);
    sOff = b.state(2 * channels);
  }

  @Override
  public void init(SplittableRandom rnd) {
    Arrays.fill(params, pOff, pOff + channels, 1f);
    Arrays.fill(params, pOff + channels, pOff + 2 * channels, 0f);
    Arrays.fill(state, sOff, sOff + channels, 0f);
    Arrays.fill(state, sOff + channels, sOff + 2 * channels, 1f);
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    outputShape(input.shape());
    int n = input.dim(0);
    int hw = input.dim(2) * input.dim(3);
    y = Buffers.ensure(y, input.shape());
    // gamma at pOff, beta at pOff + C; running mean at sOff, running variance at sOff + C.
    if (training) {
      BatchNormKernels.trainForward(input.data, input.offset, params, pOff, params, pOff + channels, y.data, y.offset,
          n, channels, hw, EPS, MOMENTUM, state, sOff, state, sOff + channels, saveMean, saveInvStd);
      x = input;
    } else {
      BatchNormKernels.inferForward(input.data, input.offset, params, pOff, params, pOff + channels, y.data, y.offset,
          n, channels, hw, EPS, state, sOff, state, sOff + channels);
    }
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    int n = x.dim(0);
    int hw = x.dim(2) * x.dim(3);
    dx = Buffers.ensure(dx, x.shape());
    BatchNormKernels.backward(x.data, x.offset, dy.data, dy.offset, params, pOff, saveMean, saveInvStd, dx.data,
        dx.offset, grads, pOff, grads, pOff + channels, n, channels, hw);
    return dx;
  }

  /** Offsets of gamma (beta follows C floats later) and of the running mean (the variance follows). */
  public int paramOffset() {
    return pOff;
  }

  public int stateOffset() {
    return sOff;
  }

  public int channels() {
    return channels;
  }

  @Override
  public String describe() {
    return "batch norm " + channels;
  }
}
