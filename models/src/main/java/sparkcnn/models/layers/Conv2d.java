package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkcnn.kernels.Activations;
import sparkcnn.kernels.BatchNormKernels;
import sparkcnn.kernels.Conv2dKernels;
import sparkcnn.kernels.ConvGeom;
import sparkcnn.kernels.Gemm;
import sparkcnn.kernels.PoolKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Binder;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/**
 * 2D convolution over (N, C, H, W): weights (out, in / groups, k, k) with Kaiming-normal initialization, optional
 * bias. padding = {@link #SAME} asks for TensorFlow's "same" padding. groups = in = out is a depthwise convolution.
 */
public final class Conv2d implements Layer {
  /** Padding that keeps H / stride (TensorFlow's "SAME"). */
  public static final int SAME = -1;
  /** Largest weight tensor kept packed in an inference graph: 16 M floats (64 MB), as for linear layers. */
  private static final long PACKED_LIMIT = 1L << 24;

  private final int in;
  private final int out;
  private final int kernel;
  private final int stride;
  private final int padding;
  private final int dilation;
  private final int groups;
  private final boolean bias;
  private final WeightsAndBias wb;
  private float[] biasData;
  /** The activation an inference graph fused into this convolution's bias pass (NONE in training graphs). */
  private Activations.Fn epilogue = Activations.Fn.NONE;
  /** Whether this layer keeps its weights packed ({@link #packForInference}: in an inference graph). */
  private boolean keepsPacked;
  /**
   * The weights in the GEMM-based forwards' packed panels, in an inference graph (whose weights change only when it
   * is refolded): every forward, and in row bands every band, would otherwise pack them again. Packed at the first
   * forward that reads them (so a layer that runs Winograd or a depthwise kernel holds no copy), dropped on refold.
   * Null in training graphs and past {@link #PACKED_LIMIT}.
   */
  private volatile float[] packed;
  private ConvGeom geom;
  private Tensor x;
  private Tensor y;
  private Tensor dx;

  public Conv2d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
    if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || dilation <= 0 || groups <= 0 || padding < SAME) {
      throw new IllegalArgumentException("conv " + in + "->" + out + " kernel " + kernel + ": channels, kernel, stride, "
          + "dilation and groups must be positive and padding non-negative (or SAME)");
    }
    if (in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException("conv " + in + "->" + out + ": " + groups + " groups must divide both");
    }
    this.in = in;
    this.out = out;
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    this.bias = bias;
    this.wb = new WeightsAndBias((long) out * (in / groups) * kernel * kernel, (in / groups) * kernel * kernel, out,
        bias);
  }

  /** The geometry for an input shape (batch included). */
  public ConvGeom geometry(int[] shape) {
    Shapes.image(describe(), shape, in);
    try {
      return padding == SAME
          ? ConvGeom.same(shape[0], in, shape[2], shape[3], out, kernel, kernel, stride, dilation, groups)
          : ConvGeom.of(shape[0], in, shape[2], shape[3], out, kernel, kernel, stride, padding, dilation, groups);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public int[] outputShape(int[] shape) {
    return geometry(shape).outputShape();
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
    biasData = wb.biasArray();
  }

  @Override
  public void init(SplittableRandom rnd) {
    wb.init(rnd);
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    outputFor(input);
    Conv2dKernels.forward(input.data, input.offset, wb.params, wb.wOff, packedFor(geom), biasData, wb.bOff, y.data,
        y.offset, geom, epilogue);
    x = input;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    Conv2dKernels.backwardWeights(x.data, x.offset, dy.data, dy.offset, wb.grads, wb.wOff, geom);
    if (bias) {
      Conv2dKernels.backwardBias(dy.data, dy.offset, wb.grads, wb.bOff, geom);
    }
    dx = Buffers.ensure(dx, geom.inputShape());
    Conv2dKernels.backwardInput(dy.data, dy.offset, wb.params, wb.wOff, dx.data, dx.offset, geom);
    return dx;
  }

  /**
   * Inference, a plain 1x1 convolution after a squeeze-and-excitation gate: act(conv(input s) + b) for s the
   * gates of each image's input channels (N x C), without a gated copy of the input ({@link
   * Conv2dKernels#forwardGated}).
   */
  Tensor forwardGated(Tensor input, Tensor gates) {
    outputFor(input);
    Conv2dKernels.forwardGated(input.data, input.offset, gates.data, gates.offset, wb.params, wb.wOff,
        packedAlways(), biasData, wb.bOff, y.data, y.offset, geom, epilogue);
    x = input;
    return y;
  }

  /** The geometry for this input (kept while its shape holds) and the output buffer for it. */
  private void outputFor(Tensor input) {
    if (geom == null || !Arrays.equals(geom.inputShape(), input.shape())) {
      geom = geometry(input.shape());
    }
    y = Buffers.ensure(y, geom.outputShape());
  }

  /** Applies the activation that follows in this convolution's bias pass. Only for inference graphs. */
  void fuseActivation(Activation act) {
    epilogue = Activations.Fn.valueOf(act.kind().name());
  }

  /**
   * Folds the inference-mode batch norm that follows into this convolution's weights and bias (in the flat
   * buffer; a convolution without a bias gets a private one). Only for inference graphs: training would then
   * update folded weights.
   */
  void foldBatchNorm(BatchNorm2d bn) {
    if (bn.channels() != out) {
      throw new IllegalArgumentException(describe() + ": cannot fold " + bn.describe());
    }
    float[] b = bias ? wb.params : new float[out];
    int bo = bias ? wb.bOff : 0;
    int g = bn.paramOffset();
    int s = bn.stateOffset();
    // From the raw bias (a refold after Model.load starts again from raw parameters), never an earlier fold's.
    BatchNormKernels.foldIntoConv(wb.params, wb.wOff, wb.biasArray(), wb.bOff, out, (in / groups) * kernel * kernel,
        bn.params(), g, bn.params(), g + out, bn.state(), s, bn.state(), s + out, BatchNorm2d.EPS, wb.params,
            wb.wOff, b, bo);
    biasData = b;
    wb.bOff = bo;
  }

  /**
   * Inference: y = act(conv(x, w) + b) on a geometry of the caller's (a band of rows of the input, say), with
   * this layer's weights, bias and fused activation.
   */
  void forwardOn(float[] x, int xOff, ConvGeom g, float[] y, int yOff) {
    Conv2dKernels.forward(x, xOff, wb.params, wb.wOff, packedFor(g), biasData, wb.bOff, y, yOff, g, epilogue);
  }

  /**
   * Inference: y = conv(x, w) alone on a geometry of the caller's, the bias and activation held back for a max
   * pool after it to apply ({@link #maxPoolEpilogueOn}).
   */
  void forwardWithoutEpilogueOn(float[] x, int xOff, ConvGeom g, float[] y, int yOff) {
    Conv2dKernels.forward(x, xOff, wb.params, wb.wOff, packedFor(g), null, 0, y, yOff, g, Activations.Fn.NONE);
  }

  /**
   * Keeps the weights packed from now on, as an inference graph's (called again after every refold: they may have
   * been reloaded, so the packed copy is dropped and the next forward that reads it packs them again).
   */
  void packForInference() {
    keepsPacked = (long) out * (in / groups) * kernel * kernel <= PACKED_LIMIT;
    packed = null;
  }

  /** The packed weights for a forward on g: packed now if it reads them and they are not yet; null if none kept. */
  private float[] packedFor(ConvGeom g) {
    float[] p = packed;
    return p == null && keepsPacked && Conv2dKernels.readsPackedWeights(g) ? pack() : p;
  }

  /** The packed weights wherever they are kept (packed now if not yet), whatever algorithm the geometry takes. */
  private float[] packedAlways() {
    float[] p = packed;
    return p == null && keepsPacked ? pack() : p;
  }

  /** Packs the weights once; synchronized because a model's row bands may share out their work. */
  private synchronized float[] pack() {
    if (packed == null) {
      packed = Conv2dKernels.packedWeights(wb.params, wb.wOff, out, (in / groups) * kernel * kernel, groups, null);
    }
    return packed;
  }

  /**
   * Inference: y = act(2x2 max pool of x + b), x being this layer's output without its epilogue and pool a plain
   * 2x2 stride-2 geometry over it. Needs {@link #epilogueCommutesWithMax}.
   */
  void maxPoolEpilogueOn(float[] x, int xOff, ConvGeom pool, float[] y, int yOff) {
    PoolKernels.max2x2BiasAct(x, xOff, y, yOff, pool, biasData, wb.bOff, epilogue);
  }

  /** Whether the bias and fused activation may run after a max pool instead (a non-decreasing activation). */
  boolean epilogueCommutesWithMax() {
    return epilogue.isMonotone();
  }

  /**
   * Inference, a 1x1 convolution without groups on columns of the caller's: y (out x cols, rows ldy apart) =
   * act(w x + b) for x (in x cols, rows ldx apart), so a band of an image's rows is convolved in place.
   */
  void pointwiseOn(float[] x, int xOff, int ldx, int cols, float[] y, int yOff, int ldy) {
    if (!isPlainPointwise()) {
      throw new IllegalStateException(describe() + ": not a plain 1x1 convolution");
    }
    float[] p = packedAlways();
    if (p != null) {
      Gemm.gemmPackedA(false, out, cols, in, p, 0, x, xOff, ldx, y, yOff, ldy);
    } else {
      Gemm.gemm(false, false, out, cols, in, 1f, wb.params, wb.wOff, in, x, xOff, ldx, 0f, y, yOff, ldy);
    }
    for (int k = 0; k < out; k++) {
      Conv2dKernels.biasAct(biasData, wb.bOff + k, epilogue, y, yOff + k * ldy, cols);
    }
  }

  /** Whether this is a 1x1 convolution without stride, padding or groups. */
  boolean isPlainPointwise() {
    return kernel == 1 && stride == 1 && groups == 1 && dilation == 1 && (padding == 0 || padding == SAME);
  }

  /** Whether this is a depthwise convolution (one filter per channel) without dilation. */
  boolean isUndilatedDepthwise() {
    return groups == in && groups == out && groups > 1 && dilation == 1;
  }

  int inChannels() {
    return in;
  }

  /** Offset of the weights (out, in / groups, k, k) in the flat parameter buffer. */
  public int weightOffset() {
    return wb.wOff;
  }

  /** Offset of the bias in the flat parameter buffer, or -1 without one. */
  public int biasOffset() {
    return wb.bOff;
  }

  public int outChannels() {
    return out;
  }

  @Override
  public String describe() {
    String kind = groups == in && groups == out && groups > 1 ? "depthwise conv " : "conv ";
    return kind + kernel + "x" + kernel + " " + in + "->" + out + " stride " + stride
        + (padding == SAME ? " same" : padding > 0 ? " pad " + padding : "") + (dilation > 1 ? " dilation " + dilation : "")
        + (groups > 1 && kind.startsWith("conv") ? " groups " + groups : "")
        + (epilogue == Activations.Fn.NONE ? "" : " + " + epilogue.name().toLowerCase(java.util.Locale.ROOT));
  }
}
