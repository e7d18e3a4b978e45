package sparkcnn.kernels;

/**
 * Stride-1 depthwise convolution on whole zero-padded planes, flattened: one weighted sum of shifted runs per plane
 * instead of one per output row.
 *
 * <p>In a plane padded to width Wp and flattened, output (i, j) is the sum over taps (a, b) of
 * w[a][b] * xp[i * Wp + j + a * Wp + b]: every tap is the same run shifted by a * Wp + b, so the whole plane is one
 * {@link DepthwiseRowMath#combine} over (P - 1) * Wp + Q positions. The Wp - Q positions past each row's end are
 * computed and dropped. On the small planes of the efficient nets' later stages (2x2 to 16x16, where a row is a
 * fraction of a vector) this keeps the vectors full and pays the per-call setup once per plane instead of once
 * per row. With a stride the padded plane is split into stride phases ({@link Frame}), and each tap is again one
 * shifted run. 3x3 and 5x5 filters at row stride 1 or 2 are swept down the frame instead ({@link DepthwiseSweep}),
 * which loads each input vector once for every output row it reaches and writes straight into y; the forward at
 * stride 1 sweeps the plane in place ({@link DepthwiseUnpaddedSweep}), at stride 2 column pairs ({@link
 * DepthwisePairs}: 5x5, and 3x3 on rows of 12 to 48 outputs) or every input column ({@link DepthwiseEvenColumns},
 * the other 3x3 layers), without phases. Backward-data
 * is the same kind of sum over dy padded the other way, the filter flipped, one stride phase of dx at a time
 * (swept at stride 1; at stride 2 over dy spread along its rows, {@link DepthwiseSpreadData}, or for rows under a
 * vector onto the input's grid); the weight gradient is one running dot product per tap over the plane, dy laid out
 * in the frame's width with zeros past each row, or for the swept filters a sweep with one accumulator per tap (5x5
 * at stride 2: per pair of taps, {@link DepthwisePairs}). Needs padding of at most the filter size minus one on each
 * side.
 */
final class DepthwisePlanes {
  private DepthwisePlanes() {}

  /** Undilated, padding inside the filter's reach, any stride. */
  static boolean applies(ConvGeom g) {
    return g.isDepthwise() && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() < g.r()
        && g.padBottom() < g.r() && g.padLeft() < g.s() && g.padRight() < g.s();
  }



  /**
   * Whether the filter is swept ({@link DepthwiseSweep#applies}, 3x3 and 5x5) rather than summed over flattened
   * planes: at stride 1 or 2 both ways (a stride of 1 one way and 2 the other takes the flattened sum).
   */
  static boolean swept(ConvGeom g) {
    return DepthwiseSweep.applies(g.r(), g.s(), g.strideH()) && g.strideW() == g.strideH();
  }

  /**
   * Whether one padded input plane fits in L1: above that the taps' runs come from L2, and for filters that
   * {@link DepthwiseSweep} does not take, forward and the weight gradient ran faster on {@link DepthwiseRows},
   * whose row ring stays in L1 (measured on 112x112 planes before the frames were filled row by row).
   */
  static boolean fitsL1(ConvGeom g) {
    return 4L * new Frame(g).size <= CacheSizes.l1();
  }

  /**
   * y = act(depthwise(x, w) + b), overwriting y (b may be null, act NONE): bias and activation on each plane
   * while it is in L1. Planes (image, channel) run in parallel.
   */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, Activations.Fn act, float[] y,
      int yOff, ConvGeom g) {
    int r = g.r();
    int s = g.s();
    Frame f = new Frame(g);
    int p = g.p();
    int q = g.q();
    int count = f.count;
    int lanes = DepthwiseRowMath.lanes();
    boolean sweep = swept(g);
    // Stride 2: column pairs straight from x (a tensor's first and last planes through a copy with room), or for 3x3
    // on rows the pairs do not take, every input column summed and the even ones kept (no phases).
    boolean pairs = sweep && DepthwisePairs.applies(g);
    DepthwiseEvenColumns.Strip even = sweep && !pairs && DepthwiseEvenColumns.applies(g)
        ? new DepthwiseEvenColumns.Strip(g) : null;
    int pairsCopy = pairs ? DepthwisePairs.room(g) : 0;
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      float[] xp = Scratch.floats(Scratch.PADDED, even != null ? even.size : Math.max(f.size + 2 * lanes, pairsCopy));
      if (even != null) {
        // Zeroed once: each plane overwrites only its place in the strip.
        java.util.Arrays.fill(xp, 0, even.size, 0f);
      }
      float[] z = Scratch.floats(Scratch.COLUMNS, Math.max(count, p * q) + lanes);
      float[] spill = new float[lanes];
      float[] sums = pairs ? Scratch.floats(Scratch.PARTIAL, DepthwisePairs.sums(g)) : null;
      int[] offs = f.offsets();
      float[] wts = new float[r * s];
      for (int plane = lo; plane < hi; plane++) {
        int xPlane = xOff + plane * g.h() * g.w();
        System.arraycopy(w, wOff + (plane % g.c()) * r * s, wts, 0, r * s);
        int yPlane = yOff + plane * p * q;
        if (sweep) {
          // Straight into y, the bias added in registers: no second pass over the plane unless an activation. Its
          // stores reach a vector past the plane, into this thread's next planes (written later); the last planes
          // go through z. At stride 1, from x itself where DepthwiseUnpaddedSweep.inPlace.
          boolean direct = (plane + 1L) * p * q + lanes <= (long) hi * p * q;
          float bias = b == null ? 0f : b[bOff + plane % g.c()];
          if (g.strideH() == 1
              && DepthwiseUnpaddedSweep.inPlace(x, xPlane, g.h(), g.w(), g.padTop(), g.padLeft(), r, p, q)) {
            DepthwiseUnpaddedSweep.combine(x, xPlane, g.h(), g.w(), g.padTop(), g.padLeft(), wts, r, bias,
                direct ? y : z, direct ? yPlane : 0, p, q);
          } else if (g.strideH() == 1) {
            f.fill(x, xPlane, xp);
            DepthwiseUnpaddedSweep.combine(xp, 0, f.rows, f.width, 0, 0, wts, r, bias, direct ? y : z,
                direct ? yPlane : 0, p, q);
          } else if (pairs) {
            float[] src = DepthwisePairs.source(x, xPlane, xp, g);
            DepthwisePairs.plane(src, src == x ? xPlane : DepthwisePairs.before(g), wts, bias, sums, direct ? y : z,
                direct ? yPlane : 0, g);
          } else if (even != null) {
            DepthwiseEvenColumns.plane(x, xPlane, xp, even, wts, bias, direct ? y : z, direct ? yPlane : 0, g);
          } else {
            f.fill(x, xPlane, xp);
            DepthwiseSweep.combine(xp, 2 * f.rows * f.width, f.width, offs, wts, r, bias, direct ? y : z,
                direct ? yPlane : 0, p, q);
          }
          if (!direct) {
            System.arraycopy(z, 0, y, yPlane, p * q);
          }
          act.apply(y, yPlane, p * q);
          continue;
        }
        f.fill(x, xPlane, xp);
        DepthwiseRowMath.combineWhole(xp, offs, wts, r * s, z, 0, count, spill);
        if (b != null || act != Activations.Fn.NONE) {
          Conv2dKernels.biasAct(b, bOff + plane % g.c(), act, z, 0, count);
        }
        FramedPlanes.unpad(z, 0, f.width, p, q, y, yPlane);
      }
    });
  }

  /**
   * dx = adjoint of forward applied to dy, overwriting dx. Swept filters at stride 2 on rows a vector wide or more:
   * {@link DepthwiseSpreadData}. Other swept filters: the stride-1 sweep with the filter turned half a circle, over
   * dy padded (stride 1) or spread onto the input's grid ({@link #spread}).
   * Otherwise, for each stride phase (e, f) of dx (padded rows e, e + sh, ..., columns f, f + sw, ...) only the
   * taps (e + sh k, f + sw l) reach it, each from dy shifted by (k, l): a stride-1 sum over dy, padded above and
   * left by the longest such sub-filter, with one shifted run per tap, scattered back into the phase's positions.
   */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    // 3x3 at stride 2, padding 1 above and left, rows three vectors wide: dy spread along its rows, dx written a
    // row pair at a time. Other 3x3 and 5x5 layers at stride 2 on rows a vector wide: dx swept down from dy spread
    // the same way (on 112x112 planes the pairs' row-ordered stores ran 13.0 against 9.3-10.5 GFLOP/s).
    if (DepthwiseSpreadData.applies(g)) {
      DepthwiseSpreadData.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      return;
    }
    if (DepthwiseSpreadData.appliesSwept(g)) {
      DepthwiseSpreadData.backwardInputSwept(dy, dyOff, w, wOff, dx, dxOff, g);
      return;
    }
    int r = g.r();
    int s = g.s();
    int sh = g.strideH();
    int sw = g.strideW();
    int p = g.p();
    int q = g.q();
    int kMax = (r + sh - 1) / sh;
    int lMax = (s + sw - 1) / sw;
    int mEnd = Math.floorDiv(g.padTop() + g.h() - 1, sh) + 1;
    int nEnd = Math.floorDiv(g.padLeft() + g.w() - 1, sw) + 1;
    int wd = Math.max(q, nEnd) + lMax - 1;
    int hd = Math.max(p, mEnd) + kMax - 1;
    int lanes = DepthwiseRowMath.lanes();
    int phaseSize = hd * wd;
    // At stride 1, dx is the forward sum over dy with the filter turned half a circle: a sweep, when it takes it.
    // At stride 2 it is that sum over dy spread onto the input's grid (dy (i, j) at (2i, 2j), zeros between), four
    // times the multiply-adds, but at the sweep's speed instead of the phases' (see spread), for rows narrower than
    // a vector.
    boolean sweep = swept(g);
    // The sweep's frame: dy padded (or spread) by the filter's reach less the forward's padding, r - 1 - padTop
    // rows above and s - 1 - padLeft columns left, to dx's size plus the filter's.
    int top = r - 1 - g.padTop();
    int left = s - 1 - g.padLeft();
    int frameW = g.w() + s - 1;
    int frameH = g.h() + r - 1;
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      float[] dyp = Scratch.floats(Scratch.PADDED, Math.max(hd * wd, frameH * frameW) + lanes);
      // One region per stride phase (e, f), each laid out like dyp: row m of the phase at (m - m0) * wd.
      float[] z = Scratch.floats(Scratch.COLUMNS, Math.max(sh * sw * phaseSize, g.h() * g.w()) + lanes);
      float[] spill = new float[lanes];
      int[] offs = new int[r * s];
      float[] wts = new float[r * s];
      int[] rowFirst = new int[sh];
      int[] colFirst = new int[sw];
      for (int plane = lo; plane < hi; plane++) {
        int wPlane = wOff + (plane % g.c()) * r * s;
        int dxPlane = dxOff + plane * g.h() * g.w();
        if (sweep) {
          for (int k = 0; k < r * s; k++) {
            wts[k] = w[wPlane + r * s - 1 - k];
          }
          // Straight into dx but for the last planes, as in forward.
          int size = g.h() * g.w();
          boolean direct = (plane + 1L) * size + lanes <= (long) hi * size;
          int dyPlane = dyOff + plane * p * q;
          if (sh == 1 && DepthwiseUnpaddedSweep.inPlace(dy, dyPlane, p, q, top, left, r, g.h(), g.w())) {
            DepthwiseUnpaddedSweep.combine(dy, dyPlane, p, q, top, left, wts, r, 0f, direct ? dx : z,
                direct ? dxPlane : 0, g.h(), g.w());
          } else {
            if (sh == 1) {
              FramedPlanes.pad(dy, dyPlane, p, q, top, left, frameH, frameW, dyp);
            } else {
              spread(dy, dyPlane, p, q, top, left, frameH, frameW, dyp);
            }
            DepthwiseUnpaddedSweep.combine(dyp, 0, frameH, frameW, 0, 0, wts, r, 0f, direct ? dx : z,
                direct ? dxPlane : 0, g.h(), g.w());
          }
          if (!direct) {
            System.arraycopy(z, 0, dx, dxPlane, size);
          }
          continue;
        }
        FramedPlanes.pad(dy, dyOff + plane * p * q, p, q, kMax - 1, lMax - 1, hd, wd, dyp);
        for (int e = 0; e < sh; e++) {
          // Padded rows u = sh m + e inside the image: m in [m0, m1].
          int m0 = Math.max(0, Math.floorDiv(g.padTop() - e + sh - 1, sh));
          int m1 = Math.floorDiv(g.padTop() + g.h() - 1 - e, sh);
          rowFirst[e] = m0;
          for (int f = 0; f < sw; f++) {
            int n0 = Math.max(0, Math.floorDiv(g.padLeft() - f + sw - 1, sw));
            int n1 = Math.floorDiv(g.padLeft() + g.w() - 1 - f, sw);
            colFirst[f] = n0;
            if (m1 < m0 || n1 < n0) {
              continue;
            }
            int nt = 0;
            for (int k = 0; e + sh * k < r; k++) {
              for (int l = 0; f + sw * l < s; l++) {
                offs[nt] = (m0 - k + kMax - 1) * wd + n0 - l + lMax - 1;
                wts[nt++] = w[wPlane + (e + sh * k) * s + f + sw * l];
              }
            }
            int cols = n1 - n0 + 1;
            int at = (e * sw + f) * phaseSize;
            // Rounded up to whole vectors, a phase may spill into the next one's start, computed after it (a phase
            // skipped for having no positions is never read).
            DepthwiseRowMath.combineWhole(dyp, offs, wts, nt, z, at, (m1 - m0) * wd + cols, spill);
            if (sw == 1) {
              if (sh == 1) {
                // One phase, every dx row whole: a dense plane.
                FramedPlanes.unpad(z, 0, wd, m1 - m0 + 1, cols, dx, dxPlane + (m0 - g.padTop()) * g.w());
              } else {
                for (int m = m0; m <= m1; m++) {
                  System.arraycopy(z, at + (m - m0) * wd, dx, dxPlane + (sh * m + e - g.padTop()) * g.w(), cols);
                }
              }
            } else if (sw > 2) {
              for (int m = m0; m <= m1; m++) {
                int row = dxPlane + (sh * m + e - g.padTop()) * g.w() + sw * n0 + f - g.padLeft();
                for (int n = 0; n < cols; n++) {
                  dx[row + sw * n] = z[at + (m - m0) * wd + n];
                }
              }
            }
          }
        }
        if (sw == 2) {
          // Each dx row interleaves its two column phases: padded column k from phase k % 2, index k / 2.
          for (int hh = 0; hh < g.h(); hh++) {
            int u = hh + g.padTop();
            int e = u % sh;
            int row = (e * 2) * phaseSize + (u / sh - rowFirst[e]) * wd;
            FramedPlanes.mergeRow(z, row - colFirst[0], row + phaseSize - colFirst[1], g.padLeft(), g.w(), dx,
                dxPlane + hh * g.w());
          }
        }
      }
    });
  }

  /**
   * A p x q plane of dy spread onto a frameH x frameW frame of zeros at stride 2: dy (i, j) at frame (2i + top, 2j
   * + left), where it fits, and a vector of zeros past the frame. The stride-1 sweep over it does four times the
   * multiply-adds of the strided sum, yet measured on one AMD EPYC thread (MobileNet-v2's stride-2 layers at 64x64
   * inputs, batch 128, backward data) 3x3 96 32x32 ran 9.9 GFLOP/s against 2.6-2.9 for the stride phases summed
   * and merged row by row, 144 16x16 8.5-9.0 against 2.5; 112x112 and 5x5 56x56 planes stayed where they were
   * (memory-bound: 6.7-7.1 and 14.7-15.5 either way).
   */
  private static void spread(float[] dy, int dyOff, int p, int q, int top, int left, int frameH, int frameW,
      float[] dst) {
    java.util.Arrays.fill(dst, 0, frameH * frameW + DepthwiseRowMath.lanes(), 0f);
    int rows = Math.min(p, (frameH - top + 1) / 2);
    int cols = Math.min(q, (frameW - left + 1) / 2);
    for (int i = 0; i < rows; i++) {
      int d = (2 * i + top) * frameW + left;
      int src = dyOff + i * q;
      for (int j = 0; j < cols; j++) {
        dst[d + 2 * j] = dy[src + j];
      }
    }
  }

  /**
   * dw += dL/dw. Channels run in parallel, each thread owning its filters' accumulators across the images. The
   * images are the outer loop: a thread's planes of one image lie next to each other in memory, so they stream
   * (a small plane per channel, images apart, is too short for the prefetcher: measured 2x slower on 14x14).
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    // 3x3 at stride 1, padding 1 (every such layer in the zoo): dy masked per column shift, no frames.
    if (DepthwiseMaskedDots.applies(g)) {
      DepthwiseMaskedDots.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      return;
    }
    // 3x3 at stride 2, padding 1 above and left: dy spread onto x's columns, x unsplit.
    if (DepthwiseSpreadDots.applies(g)) {
      DepthwiseSpreadDots.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      return;
    }
    int r = g.r();
    int s = g.s();
    int taps = r * s;
    Frame f = new Frame(g);
    int p = g.p();
    int q = g.q();
    int count = f.count;
    int lanes = DepthwiseRowMath.lanes();
    boolean sweep = swept(g);
    // Swept, dy is read as it is, q wide (DepthwiseSweep.dots, DepthwiseUnpaddedSweep.dots5 and DepthwisePairs.dots
    // clear each row's lanes past q): 1.08-1.1x against padding it first for 5x5 on 14x14 to 56x56 planes.
    // Flattened, its rows are the frame's width.
    int dyWidth = sweep ? q : f.width;
    // 5x5 at stride 2: column pairs straight from x, as the forward (DepthwisePairs), a channel's sums in the first
    // 15 of its 25 vectors of accumulators.
    boolean pairs = sweep && DepthwisePairs.appliesToWeights(g);
    int pairsCopy = pairs ? DepthwisePairs.room(g) : 0;
    Parallel.forRange(g.c(), (lo, hi, t) -> {
      float[] xp = Scratch.floats(Scratch.PADDED,
          Math.max(Math.max(f.size + 2 * lanes, g.h() * g.w() + 4 * lanes + 8), pairsCopy));
      float[] dyz = Scratch.floats(Scratch.COLUMNS, (p + r - 1) * dyWidth + lanes);
      float[] acc = Scratch.floats(Scratch.PARTIAL, (hi - lo) * taps * lanes);
      float[] spill = new float[lanes];
      int[] offs = f.offsets();
      int[] at = new int[taps];
      java.util.Arrays.fill(acc, 0, (hi - lo) * taps * lanes, 0f);
      for (int img = 0; img < g.n(); img++) {
        for (int c = lo; c < hi; c++) {
          int plane = img * g.c() + c;
          int xPlane = xOff + plane * g.h() * g.w();
          if (sweep) {
            // dy in place, but for planes whose last vector would end past dy: copied with a vector's room.
            float[] dys = dy;
            int dyAt = dyOff + plane * p * q;
            if (dyAt + p * q + lanes > dy.length) {
              System.arraycopy(dy, dyAt, dyz, 0, p * q);
              dys = dyz;
              dyAt = 0;
            }
            if (r == 5 && g.strideH() == 1) {
              // x in place; a tensor's first and last planes, whose loads would leave the array, copied with a
              // vector's room on both sides (what the loads find there is cleared).
              float[] xs = x;
              int xAt = xPlane;
              if (!DepthwiseUnpaddedSweep.applies(x, xPlane, g.h(), g.w(), g.padTop(), g.padLeft(), r, p, q)) {
                System.arraycopy(x, xPlane, xp, lanes, g.h() * g.w());
                xs = xp;
                xAt = lanes;
              }
              DepthwiseUnpaddedSweep.dots5(xs, xAt, g.h(), g.w(), g.padTop(), g.padLeft(), dys, dyAt, p, q, acc,
                  (c - lo) * taps * lanes);
              continue;
            }
            if (pairs) {
              float[] xs = DepthwisePairs.source(x, xPlane, xp, g);
              DepthwisePairs.dots(xs, xs == x ? xPlane : DepthwisePairs.before(g), dys, dyAt, acc,
                  (c - lo) * taps * lanes, g);
              continue;
            }
            // 3x3 (padding other than 1) and stride 2 (x split into its phases) through the frame.
            f.fill(x, xPlane, xp);
            DepthwiseSweep.dots(xp, g.strideW() * f.rows * f.width, f.width, g.strideH(), offs, r, dys, dyAt, dyWidth,
                p, acc, (c - lo) * taps);
            continue;
          }
          f.fill(x, xPlane, xp);
          // Past each dy row's q values, zeros: the dropped positions add nothing.
          FramedPlanes.pad(dy, dyOff + plane * p * q, p, q, 0, 0, p, dyWidth, dyz);
          for (int k = 0; k < taps; k++) {
            at[k] = (c - lo) * taps + k;
          }
          DepthwiseRowMath.dots(xp, offs, at, taps, dyz, 0, count, acc, spill);
        }
      }
      for (int c = lo; c < hi; c++) {
        if (pairs) {
          DepthwisePairs.addInto(acc, (c - lo) * taps * lanes, dw, dwOff + c * taps);
        } else {
          DepthwiseRowMath.addLanes(acc, (c - lo) * taps, taps, dw, dwOff + c * taps);
        }
      }
    });
  }

  /**
   * The zero-padded input plane split into stride phases: phase (a, b) is the sub-plane of padded rows a, a + sh,
   * ... and columns b, b + sw, ..., each phase a rows x width block, so tap (a, b) of output (i, j) sits at
   * phase(a % sh, b % sw) + (i + a / sh) * width + j + b / sw, and each tap is one shifted run again. At stride 1
   * there is one phase, the padded plane itself.
   */
  private static final class Frame {
    final ConvGeom g;
    final int rows;
    final int width;
    final int size;
    /** Positions one flattened pass computes: every output row at the frame's width, the last one to q. */
    final int count;

    Frame(ConvGeom g) {
      this.g = g;
      rows = ceilDiv(g.h() + g.padTop() + g.padBottom(), g.strideH());
      int phaseWidth = ceilDiv(g.w() + g.padLeft() + g.padRight(), g.strideW());
      // A swept stride-2 frame is a vector wide at least: each plane row then splits into both column phases in
      // one pass (FramedPlanes.padStride2), where narrower phases took a pair of loads per phase row, written phase
      // by phase (16x16 planes, 9-wide phases: that split was half the forward's time). The sweep's vectors per row
      // stay the same.
      width = g.strideW() == 2 && swept(g) ? Math.max(phaseWidth, DepthwiseRowMath.lanes()) : phaseWidth;
      size = g.strideH() * g.strideW() * rows * width;
      count = (g.p() - 1) * width + g.q();
    }

    /** Per tap a * s + b, its run's start in the frame for output (0, 0). */
    int[] offsets() {
      int[] offs = new int[g.r() * g.s()];
      for (int a = 0; a < g.r(); a++) {
        for (int b = 0; b < g.s(); b++) {
          int phase = (a % g.strideH()) * g.strideW() + b % g.strideW();
          offs[a * g.s() + b] = phase * rows * width + (a / g.strideH()) * width + b / g.strideW();
        }
      }
      return offs;
    }

    /** One input plane into dst, zeros everywhere else, and a vector of zeros past the frame. */
    void fill(float[] x, int plane, float[] dst) {
      int sh = g.strideH();
      int sw = g.strideW();
      if (sh == 1 && sw == 1) {
        FramedPlanes.pad(x, plane, g.h(), g.w(), g.padTop(), g.padLeft(), rows, width, dst);
        return;
      }
      if (sw == 2) {
        FramedPlanes.padStride2(x, plane, g.h(), g.w(), g.padTop(), g.padLeft(), sh, rows, width, dst, 0);
        return;
      }
      java.util.Arrays.fill(dst, 0, size + DepthwiseRowMath.lanes(), 0f);
      int phaseSize = rows * width;
      for (int ih = 0; ih < g.h(); ih++) {
        int u = ih + g.padTop();
        int rowBase = (u % sh) * sw * phaseSize + (u / sh) * width;
        int src = plane + ih * g.w();
        // Column phase f takes input columns iw = first, first + sw, ... (iw + padL = f mod sw), in order.
        for (int f = 0; f < sw; f++) {
          int first = Math.floorMod(f - g.padLeft(), sw);
          int d = rowBase + f * phaseSize + (first + g.padLeft()) / sw;
          for (int iw = first; iw < g.w(); iw += sw) {
            dst[d++] = x[src + iw];
          }
        }
      }
    }

    private static int ceilDiv(int a, int b) {
      return (a + b - 1) / b;
    }
  }
}
