package sparkcnn.kernels;

import java.util.Arrays;

/**
 * Pooling over windows given by a {@link ConvGeom#pool} geometry: x (N, C, H, W) to y (N, C, P, Q). Max
 * pooling records, per output, the index (ih * W + iw) of its maximum within the input plane, which both its
 * backward and max-unpooling use. Padding never wins a max. Planes run in parallel; backward overwrites dx.
 */
public final class PoolKernels {
  private PoolKernels() {}

  public static void maxForward(float[] x, int xOff, float[] y, int yOff, int[] argmax, ConvGeom g) {
    check("max pool forward", g, x, xOff, y, yOff);
    if (argmax.length < g.outputSize()) {
      throw new IllegalArgumentException("max pool forward argmax: needs " + g.outputSize() + " ints, has " + argmax.length);
    }
    int hw = g.h() * g.w();
    int pq = g.p() * g.q();
    if (isPlain2x2(g)) {
      Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> max2x2(x, xOff, y, yOff, argmax, g, lo, hi));
      return;
    }
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      for (int plane = lo; plane < hi; plane++) {
        int xp = xOff + plane * hw;
        for (int p = 0; p < g.p(); p++) {
          for (int q = 0; q < g.q(); q++) {
            float best = Float.NEGATIVE_INFINITY;
            int where = -1;
            for (int r = 0; r < g.r(); r++) {
              int ih = p * g.strideH() - g.padTop() + r * g.dilationH();
              if (ih < 0 || ih >= g.h()) {
                continue;
              }
              for (int s = 0; s < g.s(); s++) {
                int iw = q * g.strideW() - g.padLeft() + s * g.dilationW();
                if (iw >= 0 && iw < g.w()) {
                  float v = x[xp + ih * g.w() + iw];
                  if (v > best || where < 0) {
                    best = v;
                    where = ih * g.w() + iw;
                  }
                }
              }
            }
            int o = plane * pq + p * g.q() + q;
            y[yOff + o] = where < 0 ? 0f : best;
            argmax[o] = where;
          }
        }
      }
    });
  }

  /**
   * y = act(max over each 2x2 window of x + b[channel]) for a {@link #isPlain2x2 plain 2x2} pool geometry, without
   * an arg-max: the max pool after a convolution whose bias and activation were held back. Both commute with max
   * when act is non-decreasing ({@link Activations.Fn#isMonotone}), so they run on the pooled quarter. b may be
   * null (no bias). A NaN in a window gives NaN.
   */
  public static void max2x2BiasAct(float[] x, int xOff, float[] y, int yOff, ConvGeom g, float[] b, int bOff,
      Activations.Fn act) {
    check("max pool forward", g, x, xOff, y, yOff);
    if (!isPlain2x2(g) || !act.isMonotone()) {
      throw new IllegalArgumentException("max pool with bias and activation: needs a plain 2x2 stride-2 window and "
          + "a non-decreasing activation, got " + g + " and " + act);
    }
    if (b != null) {
      Check.span("max pool bias", b, bOff, g.c());
    }
    int w = g.w();
    int hw = g.h() * w;
    int pq = g.p() * g.q();
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      for (int plane = lo; plane < hi; plane++) {
        int xp = xOff + plane * hw;
        int o = yOff + plane * pq;
        for (int p = 0; p < g.p(); p++, o += g.q()) {
          int top = xp + 2 * p * w;
          // Outputs up to the end of this range's last plane may be spilled into: they are written after this row.
          int writable = (hi - plane) * pq - p * g.q();
          int q = Simd.AVAILABLE ? MaxPoolVectorKernel.rowMax(x, top, w, y, o, g.q(), writable) : 0;
          for (; q < g.q(); q++) {
            int at = top + 2 * q;
            y[o + q] = Math.max(Math.max(x[at], x[at + 1]), Math.max(x[at + w], x[at + w + 1]));
          }
        }
        Conv2dKernels.biasAct(b, bOff + plane % g.c(), act, y, yOff + plane * pq, pq);
      }
    });
  }

  /** The most common pooling (2x2, stride 2, no padding or dilation, every window inside the image). */
  public static boolean isPlain2x2(ConvGeom g) {
    return g.r() == 2 && g.s() == 2 && g.strideH() == 2 && g.strideW() == 2 && g.padTop() == 0
        && g.padLeft() == 0 && g.dilationH() == 1 && g.dilationW() == 1 && 2 * g.p() <= g.h() && 2 * g.q() <= g.w();
  }

  /**
   * maxForward for plain 2x2 windows over planes [lo, hi): four loads and three compares per output, without the
   * general loop's bounds tests, a vector of outputs at a time where the Vector API is present
   * ({@link MaxPoolVectorKernel}). Ties and NaN resolve as there (the first of equal values; a NaN is kept only if
   * it comes first).
   */
  static void max2x2(float[] x, int xOff, float[] y, int yOff, int[] argmax, ConvGeom g, int lo, int hi) {
    int w = g.w();
    int hw = g.h() * w;
    int pq = g.p() * g.q();
    for (int plane = lo; plane < hi; plane++) {
      int xp = xOff + plane * hw;
      int o = plane * pq;
      for (int p = 0; p < g.p(); p++) {
        int top = 2 * p * w;
        // Outputs from here to the end of this range's last plane: rows written after this one may be spilled into.
        int writable = (hi - plane) * pq - p * g.q();
        int done = Simd.AVAILABLE ? MaxPoolVectorKernel.row(x, xp, top, w, y, yOff + o, argmax, o, g.q(), writable)
            : 0;
        o += done;
        for (int q = done; q < g.q(); q++, o++) {
          int at = top + 2 * q;
          float best = x[xp + at];
          int where = at;
          float v = x[xp + at + 1];
          if (v > best) {
            best = v;
            where = at + 1;
          }
          v = x[xp + at + w];
          if (v > best) {
            best = v;
            where = at + w;
          }
          v = x[xp + at + w + 1];
          if (v > best) {
            best = v;
            where = at + w + 1;
          }
          y[yOff + o] = best;
          argmax[o] = where;
        }
      }
    }
  }

  /** dx (overwritten) receives each dy at the position its forward took the maximum from. */
  public static void maxBackward(float[] dy, int dyOff, int[] argmax, float[] dx, int dxOff, ConvGeom g) {
    check("max pool backward", g, dx, dxOff, dy, dyOff);
    scatter(dy, dyOff, argmax, dx, dxOff, g.n() * g.c(), g.p() * g.q(), g.h() * g.w());
  }

  /** Adds planes of values to the positions named by idx (an index within each dst plane); dst overwritten. */
  static void scatter(float[] src, int srcOff, int[] idx, float[] dst, int dstOff, int planes, int srcPlane,
      int dstPlane) {
    Parallel.forRange(planes, (lo, hi, t) -> {
      for (int plane = lo; plane < hi; plane++) {
        int d = dstOff + plane * dstPlane;
        Arrays.fill(dst, d, d + dstPlane, 0f);
        for (int j = plane * srcPlane; j < (plane + 1) * srcPlane; j++) {
          if (idx[j] >= 0) {
            dst[d + idx[j]] += src[srcOff + j];
          }
        }
      }
    });
  }

  /**
   * Average pooling; countPadding = true divides by the whole window (R S), false by the number of input
   * pixels the window covers.
   */
  public static void avgForward(float[] x, int xOff, float[] y, int yOff, ConvGeom g, boolean countPadding) {
    check("avg pool forward", g, x, xOff, y, yOff);
    windows(g, countPadding, (plane, o, ih, iw, scale) -> {
      y[yOff + o] += scale * x[xOff + plane * g.h() * g.w() + ih * g.w() + iw];
    }, (o) -> y[yOff + o] = 0f);
  }

  /** dx (overwritten) spreads each dy evenly over its window. */
  public static void avgBackward(float[] dy, int dyOff, float[] dx, int dxOff, ConvGeom g, boolean countPadding) {
    check("avg pool backward", g, dx, dxOff, dy, dyOff);
    int hw = g.h() * g.w();
    Arrays.fill(dx, dxOff, dxOff + g.inputSize(), 0f);
    windows(g, countPadding, (plane, o, ih, iw, scale) -> {
      dx[dxOff + plane * hw + ih * g.w() + iw] += scale * dy[dyOff + o];
    }, o -> { });
  }

  @FunctionalInterface
  private interface Tap {
    void run(int plane, int out, int ih, int iw, float scale);
  }

  @FunctionalInterface
  private interface Start {
    void run(int out);
  }

  /** Every (output, in-image input) pair of every window with the averaging weight; planes in parallel. */
  private static void windows(ConvGeom g, boolean countPadding, Tap tap, Start start) {
    int pq = g.p() * g.q();
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      for (int plane = lo; plane < hi; plane++) {
        for (int p = 0; p < g.p(); p++) {
          int h0 = p * g.strideH() - g.padTop();
          int h1 = Math.min(h0 + g.r(), g.h());
          for (int q = 0; q < g.q(); q++) {
            int w0 = q * g.strideW() - g.padLeft();
            int w1 = Math.min(w0 + g.s(), g.w());
            int covered = (h1 - Math.max(h0, 0)) * (w1 - Math.max(w0, 0));
            float scale = 1f / (countPadding ? g.r() * g.s() : Math.max(1, covered));
            int o = plane * pq + p * g.q() + q;
            start.run(o);
            for (int ih = Math.max(h0, 0); ih < h1; ih++) {
              for (int iw = Math.max(w0, 0); iw < w1; iw++) {
                tap.run(plane, o, ih, iw, scale);
              }
            }
          }
        }
      }
    });
  }

  /** y (N, C) = mean of each plane of x (N, C, H, W). */
  public static void globalAvgForward(float[] x, int xOff, float[] y, int yOff, int n, int c, int hw) {
    ConvGeom.operand("global avg pool", "x", new int[] {n, c, hw}, x, xOff);
    ConvGeom.operand("global avg pool", "y", new int[] {n, c}, y, yOff);
    for (int plane = 0; plane < n * c; plane++) {
      if (Simd.AVAILABLE) {
        // Lanes of partial sums: one running float waited on each add's latency (1.8% of EfficientNet-B0's step).
        y[yOff + plane] = ElementwiseVectorKernel.sum(x, xOff + plane * hw, hw) / hw;
        continue;
      }
      float s = 0;
      for (int j = plane * hw; j < (plane + 1) * hw; j++) {
        s += x[xOff + j];
      }
      y[yOff + plane] = s / hw;
    }
  }

  /** dx (overwritten) = dy / (H W) broadcast over each plane. */
  public static void globalAvgBackward(float[] dy, int dyOff, float[] dx, int dxOff, int n, int c, int hw) {
    for (int plane = 0; plane < n * c; plane++) {
      Arrays.fill(dx, dxOff + plane * hw, dxOff + (plane + 1) * hw, dy[dyOff + plane] / hw);
    }
  }

  private static void check(String op, ConvGeom g, float[] x, int xOff, float[] y, int yOff) {
    ConvGeom.operand(op, "x", g.inputShape(), x, xOff);
    ConvGeom.operand(op, "y", g.outputShape(), y, yOff);
  }

  /**
   * Adaptive average pooling (PyTorch's): output cell (i, j) of a p x q grid averages input rows
   * [floor(i h / p), ceil((i + 1) h / p)) and the matching columns, so any input size maps to p x q.
   */
  public static void adaptiveAvgForward(float[] x, int xOff, float[] y, int yOff, int planes, int h, int w, int p,
      int q) {
    for (int plane = 0; plane < planes; plane++) {
      for (int i = 0; i < p; i++) {
        int r0 = i * h / p;
        int r1 = ((i + 1) * h + p - 1) / p;
        for (int j = 0; j < q; j++) {
          int c0 = j * w / q;
          int c1 = ((j + 1) * w + q - 1) / q;
          float sum = 0f;
          for (int r = r0; r < r1; r++) {
            for (int c = c0; c < c1; c++) {
              sum += x[xOff + (plane * h + r) * w + c];
            }
          }
          y[yOff + (plane * p + i) * q + j] = sum / ((r1 - r0) * (c1 - c0));
        }
      }
    }
  }

  /** dx (overwritten) of {@link #adaptiveAvgForward}: each cell's gradient spread evenly over its window. */
  public static void adaptiveAvgBackward(float[] dy, int dyOff, float[] dx, int dxOff, int planes, int h, int w, int p,
      int q) {
    java.util.Arrays.fill(dx, dxOff, dxOff + planes * h * w, 0f);
    for (int plane = 0; plane < planes; plane++) {
      for (int i = 0; i < p; i++) {
        int r0 = i * h / p;
        int r1 = ((i + 1) * h + p - 1) / p;
        for (int j = 0; j < q; j++) {
          int c0 = j * w / q;
          int c1 = ((j + 1) * w + q - 1) / q;
          float g = dy[dyOff + (plane * p + i) * q + j] / ((r1 - r0) * (c1 - c0));
          for (int r = r0; r < r1; r++) {
            for (int c = c0; c < c1; c++) {
              dx[dxOff + (plane * h + r) * w + c] += g;
            }
          }
        }
      }
    }
  }
}
