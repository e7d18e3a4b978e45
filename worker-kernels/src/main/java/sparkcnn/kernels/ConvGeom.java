package sparkcnn.kernels;

/**
 * The arithmetic of one 2D convolution (or pooling window): input (N, C, H, W), weights (K, C/groups, R, S),
 * output (N, K, P, Q) with P = 1 + (H + padTop + padBottom - D(R - 1) - 1) / S (same for Q). Summary,
 * validation and the kernels all ask this record, so the formulas live in one place.
 */
public record ConvGeom(int n, int c, int h, int w, int k, int r, int s,
    int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
    int dilationH, int dilationW, int groups) {

  public ConvGeom {
    String shape = "conv input " + Shape.show(n, c, h, w) + ", kernel " + r + "x" + s + ", " + k + " outputs";
    positiveAll(shape, new String[] {"batch", "channels", "height", "width", "outputs", "kernel height", "kernel width",
        "stride", "stride", "dilation", "dilation", "groups"},
        n, c, h, w, k, r, s, strideH, strideW, dilationH, dilationW, groups);
    if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
      throw new IllegalArgumentException(shape + ": padding must be non-negative, got top " + padTop + " left "
          + padLeft + " bottom " + padBottom + " right " + padRight);
    }
    if (c % groups != 0 || k % groups != 0) {
      throw new IllegalArgumentException(shape + ": " + groups + " groups must divide both " + c
          + " input channels and " + k + " outputs");
    }
    int effR = dilationH * (r - 1) + 1;
    int effS = dilationW * (s - 1) + 1;
    int paddedH = h + padTop + padBottom;
    int paddedW = w + padLeft + padRight;
    if (effR > paddedH || effS > paddedW) {
      throw new IllegalArgumentException(shape + ": the (dilated) kernel " + effR + "x" + effS
          + " is larger than the padded input " + paddedH + "x" + paddedW);
    }
  }

  private static void positiveAll(String context, String[] names, int... values) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] <= 0) {
        throw new IllegalArgumentException(context + ": " + names[i] + " must be positive, got " + values[i]);
      }
    }
  }

  /** Symmetric padding, equal strides and dilations. */
  public static ConvGeom of(int n, int c, int h, int w, int k, int r, int s, int stride, int pad, int dilation, int groups) {
    return new ConvGeom(n, c, h, w, k, r, s, stride, stride, pad, pad, pad, pad, dilation, dilation, groups);
  }

  /**
   * TensorFlow's "SAME" padding: output size ceil(H / stride); the odd pixel of padding goes to the bottom/right.
   */
  public static ConvGeom same(int n, int c, int h, int w, int k, int r, int s, int stride, int dilation, int groups) {
    int padH = samePadding(h, r, stride, dilation);
    int padW = samePadding(w, s, stride, dilation);
    return new ConvGeom(n, c, h, w, k, r, s, stride, stride, padH / 2, padW / 2, padH - padH / 2, padW - padW / 2,
        dilation, dilation, groups);
  }

  private static int samePadding(int size, int kernel, int stride, int dilation) {
    int out = (size + stride - 1) / stride;
    return Math.max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - size);
  }

  /** Pooling window over every channel: K = C, one group per channel, no weights. */
  public static ConvGeom pool(int n, int c, int h, int w, int r, int s, int stride, int pad) {
    return new ConvGeom(n, c, h, w, c, r, s, stride, stride, pad, pad, pad, pad, 1, 1, c);
  }

  /** The same layer for another batch size. */
  public ConvGeom withBatch(int batch) {
    return new ConvGeom(batch, c, h, w, k, r, s, strideH, strideW, padTop, padLeft, padBottom, padRight,
        dilationH, dilationW, groups);
  }

  /** Height of the padded input, H + padTop + padBottom. */
  public int paddedH() {
    return h + padTop + padBottom;
  }

  /** Width of the padded input, W + padLeft + padRight. */
  public int paddedW() {
    return w + padLeft + padRight;
  }

  /** Output height P. */
  public int p() {
    return (paddedH() - dilationH * (r - 1) - 1) / strideH + 1;
  }

  /** Output width Q. */
  public int q() {
    return (paddedW() - dilationW * (s - 1) - 1) / strideW + 1;
  }

  /** Input channels per group. */
  public int cg() {
    return c / groups;
  }

  /** Output channels per group. */
  public int kg() {
    return k / groups;
  }

  /** Rows of one group's im2col matrix: (C/groups) R S. */
  public int colRows() {
    return cg() * r * s;
  }

  public int[] inputShape() {
    return new int[] {n, c, h, w};
  }

  public int[] outputShape() {
    return new int[] {n, k, p(), q()};
  }

  public int[] weightShape() {
    return new int[] {k, cg(), r, s};
  }

  public int inputSize() {
    return Shape.size(inputShape());
  }

  public int outputSize() {
    return Shape.size(outputShape());
  }

  public int weightSize() {
    return k * colRows();
  }

  /** Parameters: K (C/groups R S + 1) with a bias, K (C/groups R S) without. */
  public long paramCount(boolean bias) {
    return (long) weightSize() + (bias ? k : 0);
  }

  /** Multiply-accumulates of the forward pass: N K P Q (C/groups) R S. */
  public long macs() {
    return (long) n * k * p() * q() * colRows();
  }

  /** 1x1, stride 1, no padding: the input already is the GEMM operand. */
  public boolean isPointwise() {
    return r == 1 && s == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && padBottom == 0
        && padRight == 0;
  }

  /** One input and one output channel per group. */
  public boolean isDepthwise() {
    return groups == c && k == c;
  }

  /**
   * The output columns [lo, hi) whose input column q * strideW + off (off = s * dilationW - padLeft for tap s)
   * lies inside the image, packed as lo << 32 | hi. Shared by im2col and the direct depthwise kernels.
   */
  long validColumns(int off) {
    int sw = strideW;
    int lo = Math.min(q(), Math.max(0, Math.floorDiv(-off + sw - 1, sw)));
    int hi = Math.max(lo, Math.min(q(), Math.floorDiv(w - off + sw - 1, sw)));
    return (long) lo << 32 | hi;
  }

  /** Fails, naming the operand and both shapes, unless x, w, b (may be null) and y hold this geometry's sizes. */
  void checkOperands(String op, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff) {
    operand(op, "x", inputShape(), x, xOff);
    operand(op, "w", weightShape(), w, wOff);
    if (b != null) {
      operand(op, "b", new int[] {k}, b, bOff);
    }
    operand(op, "y", outputShape(), y, yOff);
  }

  static void operand(String op, String name, int[] shape, float[] a, int off) {
    int size = Shape.size(shape);
    if (a == null || off < 0 || off + (long) size > a.length) {
      throw new IllegalArgumentException(op + " " + name + ": expected shape " + Shape.show(shape) + " (" + size
          + " floats at offset " + off + ") but the array holds " + (a == null ? "nothing (null)" : a.length + " floats"));
    }
  }
}
