package sparkcnn.kernels;

/**
 * Depthwise convolution (undilated; any kernel size, stride and padding) at memory speed: each pass reads
 * every input row from memory once and writes every output row once.
 *
 * <p>Depthwise layers do 9 or 25 multiply-adds per output element, so they are bound by memory, not by the
 * FMA units: the kernel must touch each byte of its operands once and keep everything else in L1. Input rows
 * go through a small per-thread ring of zero-padded row buffers (one per filter row), so the rows that
 * neighbouring output rows share are copied once, and padding needs no branch in the inner loop. With a
 * column stride the buffer is split into stride phases (even columns, then odd ones), so every filter tap reads
 * a contiguous run whatever the stride. Each output row is then one sum over the taps
 * ({@link DepthwiseRowMath#combine}), accumulated in registers and stored once; the weight gradient is one
 * running dot product per tap ({@link DepthwiseRowMath#dots}) over all the channel's rows and images.
 *
 * <p>Backward-data gathers rather than scatters: a dx column u (counted in the padded frame) receives tap t
 * from dy column (u - t) / stride when that divides, so for each stride phase of u the contributing taps read
 * a contiguous run of a zero-padded dy row. Operands as in {@link Conv2dKernels}; no bias here.
 */
final class DepthwiseRows {
  private DepthwiseRows() {}

  static boolean applies(ConvGeom g) {
    return g.isDepthwise() && g.dilationH() == 1 && g.dilationW() == 1;
  }

  /**
   * y = act(depthwise(x, w) + b), overwriting y (b may be null, act NONE): bias and activation on each row as
   * it is written. Planes (image, channel) run in parallel.
   */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, Activations.Fn act, float[] y,
      int yOff, ConvGeom g) {
    int r = g.r();
    int s = g.s();
    int p = g.p();
    int q = g.q();
    int sw = g.strideW();
    int len = padded(q) + (s - 1) / sw;
    int slotLen = sw * len;
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      float[] ring = Scratch.floats(Scratch.PADDED, r * slotLen);
      float[] spill = new float[DepthwiseRowMath.lanes()];
      int[] held = new int[r];
      int[] offs = new int[r * s];
      int[] taps = new int[r * s];
      float[] wts = new float[r * s];
      for (int plane = lo; plane < hi; plane++) {
        java.util.Arrays.fill(held, -1);
        int xPlane = xOff + plane * g.h() * g.w();
        int wPlane = wOff + (plane % g.c()) * r * s;
        for (int i = 0; i < p; i++) {
          int nt = window(x, xPlane, g, i, len, ring, held, offs, taps);
          for (int k = 0; k < nt; k++) {
            wts[k] = w[wPlane + taps[k]];
          }
          DepthwiseRowMath.combine(ring, offs, wts, nt, y, yOff + (plane * p + i) * q, q, spill);
          if (b != null || act != Activations.Fn.NONE) {
            Conv2dKernels.biasAct(b, bOff + plane % g.c(), act, y, yOff + (plane * p + i) * q, q);
          }
        }
      }
    });
  }

  /** dx = adjoint of forward applied to dy, overwriting dx. Planes run in parallel. */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    int r = g.r();
    int s = g.s();
    int p = g.p();
    int q = g.q();
    int sh = g.strideH();
    int sw = g.strideW();
    int width = g.w();
    int padL = g.padLeft();
    // dy rows padded by the taps that reach left of column 0 and right of column q - 1, plus a vector of zeros.
    int left = (s - 1) / sw;
    int mMax = (padL + width - 1) / sw;
    int dlen = left + Math.max(q, mMax + 1) + DepthwiseRowMath.lanes();
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      float[] ring = Scratch.floats(Scratch.PADDED, r * dlen);
      float[] phase = Scratch.floats(Scratch.COLUMNS, mMax + 1);
      float[] spill = new float[DepthwiseRowMath.lanes()];
      int[] held = new int[r];
      int[] offs = new int[r * s];
      float[] wts = new float[r * s];
      for (int plane = lo; plane < hi; plane++) {
        java.util.Arrays.fill(held, -1);
        int dyPlane = dyOff + plane * p * q;
        int wPlane = wOff + (plane % g.c()) * r * s;
        for (int hh = 0; hh < g.h(); hh++) {
          int dxRow = dxOff + (plane * g.h() + hh) * width;
          for (int ph = 0; ph < sw; ph++) {
            // Columns u = w + padL = m * sw + ph of this phase: m in [mlo, mhi].
            int mlo = Math.max(0, Math.floorDiv(padL - ph + sw - 1, sw));
            int mhi = Math.floorDiv(padL + width - 1 - ph, sw);
            int count = mhi - mlo + 1;
            if (count <= 0) {
              continue;
            }
            int nt = 0;
            for (int rr = 0; rr < r; rr++) {
              int top = hh + g.padTop() - rr;
              if (top < 0 || top % sh != 0 || top / sh >= p) {
                continue;
              }
              int i = top / sh;
              int slot = i % r;
              if (held[slot] != i) {
                fillPadded(dy, dyPlane + i * q, q, left, dlen, ring, slot * dlen);
                held[slot] = i;
              }
              for (int tap = ph; tap < s; tap += sw) {
                offs[nt] = slot * dlen + left - (tap - ph) / sw + mlo;
                wts[nt++] = w[wPlane + rr * s + tap];
              }
            }
            if (sw == 1) {
              DepthwiseRowMath.combine(ring, offs, wts, nt, dx, dxRow + mlo - padL, count, spill);
            } else {
              DepthwiseRowMath.combine(ring, offs, wts, nt, phase, 0, count, spill);
              for (int m = 0; m < count; m++) {
                dx[dxRow + (mlo + m) * sw + ph - padL] = phase[m];
              }
            }
          }
        }
      }
    });
  }

  /**
   * dw += dL/dw. Channels run in parallel, each thread owning its filters: one vector accumulator per tap runs
   * over the channel's every row and image and is reduced once at the end.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    int r = g.r();
    int s = g.s();
    int p = g.p();
    int q = g.q();
    int sw = g.strideW();
    int len = padded(q) + (s - 1) / sw;
    int slotLen = sw * len;
    int lanes = DepthwiseRowMath.lanes();
    Parallel.forRange(g.c(), (lo, hi, t) -> {
      float[] ring = Scratch.floats(Scratch.PADDED, r * slotLen);
      float[] spill = new float[lanes];
      float[] acc = Scratch.floats(Scratch.PARTIAL, r * s * lanes);
      int[] held = new int[r];
      int[] offs = new int[r * s];
      int[] taps = new int[r * s];
      for (int c = lo; c < hi; c++) {
        java.util.Arrays.fill(acc, 0, r * s * lanes, 0f);
        for (int img = 0; img < g.n(); img++) {
          java.util.Arrays.fill(held, -1);
          int plane = img * g.c() + c;
          int xPlane = xOff + plane * g.h() * g.w();
          for (int i = 0; i < p; i++) {
            int nt = window(x, xPlane, g, i, len, ring, held, offs, taps);
            DepthwiseRowMath.dots(ring, offs, taps, nt, dy, dyOff + (plane * p + i) * q, q, acc, spill);
          }
        }
        DepthwiseRowMath.addLanes(acc, 0, r * s, dw, dwOff + c * r * s);
      }
    });
  }

  /**
   * The input rows under output row i, brought into the ring (a row already there from the previous output row
   * is not copied again); for each tap of a row inside the image, its run's offset in the ring and the tap's
   * index rr * S + s in the filter. Returns the number of taps; rows of padding have none.
   */
  private static int window(float[] x, int xPlane, ConvGeom g, int i, int len, float[] ring, int[] held, int[] offs,
      int[] taps) {
    int r = g.r();
    int s = g.s();
    int sw = g.strideW();
    int slotLen = sw * len;
    int nt = 0;
    for (int rr = 0; rr < r; rr++) {
      int ih = i * g.strideH() - g.padTop() + rr;
      if (ih < 0 || ih >= g.h()) {
        continue;
      }
      int slot = ih % r;
      if (held[slot] != ih) {
        fillPhases(x, xPlane + ih * g.w(), g.w(), g.padLeft(), sw, len, ring, slot * slotLen);
        held[slot] = ih;
      }
      for (int tap = 0; tap < s; tap++) {
        offs[nt] = slot * slotLen + (tap % sw) * len + tap / sw;
        taps[nt++] = rr * s + tap;
      }
    }
    return nt;
  }

  /**
   * Columns rounded up to whole vectors: row buffers are zero up to there, so the last, partial vector of a row
   * is read whole.
   */
  private static int padded(int columns) {
    int l = DepthwiseRowMath.lanes();
    return (columns + l - 1) / l * l;
  }

  /**
   * One input row into a ring slot, split into sw phases of len floats: phase ph, index m holds input column
   * m * sw + ph - padL, or 0 where that lies outside the row.
   */
  private static void fillPhases(float[] x, int row, int width, int padL, int sw, int len, float[] buf, int base) {
    if (sw == 2) {
      FramedPlanes.splitRow(x, row, width, padL, len, buf, base, base + len);
      return;
    }
    for (int ph = 0; ph < sw; ph++) {
      int b = base + ph * len;
      int mlo = Math.min(len, Math.max(0, Math.floorDiv(padL - ph + sw - 1, sw)));
      int mhi = Math.max(mlo, Math.min(len, Math.floorDiv(width + padL - ph + sw - 1, sw)));
      java.util.Arrays.fill(buf, b, b + mlo, 0f);
      if (sw == 1) {
        System.arraycopy(x, row + mlo - padL, buf, b + mlo, mhi - mlo);
      } else {
        for (int m = mlo, u = row + mlo * sw + ph - padL; m < mhi; m++, u += sw) {
          buf[b + m] = x[u];
        }
      }
      java.util.Arrays.fill(buf, b + mhi, b + len, 0f);
    }
  }

  /** One dy row into a ring slot of dlen floats: left zeros, the row, zeros to the end. */
  private static void fillPadded(float[] dy, int row, int q, int left, int dlen, float[] buf, int base) {
    java.util.Arrays.fill(buf, base, base + left, 0f);
    System.arraycopy(dy, row, buf, base + left, q);
    java.util.Arrays.fill(buf, base + left + q, base + dlen, 0f);
  }
}
