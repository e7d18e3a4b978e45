package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkcnn.kernels.Activations;
import sparkcnn.kernels.BatchNormKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Binder;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/**
 * Batch normalization per channel: batch statistics in training, running statistics in inference. gamma and
 * beta are parameters without weight decay; the running mean and variance are state, not parameters. A training
 * forward adds its batch mean and unbiased variance to the model's statistics accumulator instead of moving the
 * running averages itself: the model (or the Spark driver, after summing every partition's) applies their mean
 * once per step, so the running statistics do not depend on how the step was split.
 */
public final class BatchNorm2d implements Layer {
  static final float EPS = 1e-5f;
  private final int channels;
  private float[] params;
  private float[] grads;
  private float[] state;
  private float[] stats;
  private int pOff;
  private int sOff;
  private final float[] saveMean;
  private final float[] saveInvStd;
  private final float[] batchMean;
  private final float[] batchVar;
  private Tensor x;
  private Tensor y;
  private Tensor dx;
  /** The activation the last training forward applied in its own pass, which backward then goes through. */
  private Activations.Fn activation = Activations.Fn.NONE;

  public BatchNorm2d(int channels) {
    if (channels <= 0) {
      throw new IllegalArgumentException("batch norm: channels must be positive, got " + channels);
    }
    this.channels = channels;
    this.saveMean = new float[channels];
    this.saveInvStd = new float[channels];
    this.batchMean = new float[channels];
    this.batchVar = new float[channels];
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
  public int stateCount() {
    return Math.multiplyExact(2, channels);
  }

  @Override
  public void bind(Binder b) {
    params = b.params;
    grads = b.grads;
    state = b.state;
    stats = b.stats;
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
    return forward(input, training, Activations.Fn.NONE);
  }

  /**
   * Forward with the activation after it applied in the same pass ({@link Sequential} asks for it): one pass over
   * memory and one buffer fewer. After a training forward, the next backward takes dy at the activation's output.
   */
  Tensor forward(Tensor input, boolean training, Activations.Fn act) {
    outputShape(input.shape());
    int n = input.dim(0);
    int hw = input.dim(2) * input.dim(3);
    y = Buffers.ensure(y, input.shape());
    // gamma at pOff, beta at pOff + C; running mean at sOff, running variance at sOff + C.
    if (training) {
      // The kernel moves "running" averages by momentum 1: 0 * old + batch. An old NaN (a step that went
      // non-finite and was skipped) would survive that product into every later step, so start from zero.
      Arrays.fill(batchMean, 0f);
      Arrays.fill(batchVar, 0f);
      BatchNormKernels.trainForward(input.data, input.offset, params, pOff, params, pOff + channels, y.data, y.offset,
          n, channels, hw, EPS, 1f, batchMean, 0, batchVar, 0, saveMean, saveInvStd, act);
      activation = act;
      for (int c = 0; c < channels; c++) {
        stats[sOff + c] += batchMean[c];
        stats[sOff + channels + c] += batchVar[c];
      }
      x = input;
    } else {
      BatchNormKernels.inferForward(input.data, input.offset, params, pOff, params, pOff + channels, y.data, y.offset,
          n, channels, hw, EPS, state, sOff, state, sOff + channels, act);
    }
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    int n = x.dim(0);
    int hw = x.dim(2) * x.dim(3);
    dx = Buffers.ensure(dx, x.shape());
    BatchNormKernels.backward(x.data, x.offset, dy.data, dy.offset, params, pOff, params, pOff + channels, saveMean,
        saveInvStd, activation, dx.data, dx.offset, grads, pOff, grads, pOff + channels, n, channels, hw);
    return dx;
  }

  /** Offsets of gamma (beta follows C floats later) and of the running mean (the variance follows). */
  public int paramOffset() {
    return pOff;
  }

  public int stateOffset() {
    return sOff;
  }

  float[] params() {
    return params;
  }

  float[] state() {
    return state;
  }

  public int channels() {
    return channels;
  }

  @Override
  public String describe() {
    return "batch norm " + channels;
  }
}
