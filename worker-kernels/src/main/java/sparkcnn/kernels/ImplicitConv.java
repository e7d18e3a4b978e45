package sparkcnn.kernels;

import java.util.Arrays;

/**
 * Stride-1 convolution as an implicit GEMM: Y (K x P Wp) = W (K x C R S) * B with B((c, r, s), t) =
 * xpad[c][r D][s D + t], read in place from the zero-padded image through one offset per (c, r, s). Output
 * rows are computed at the padded width Wp, so consecutive rows are contiguous in xpad; the Wp - Q extra
 * columns per row are dropped when the block is copied out. Nothing like im2col is ever written: for layers with
 * few output channels that copy costs as much as the FMAs. Backward-data of a stride-1 convolution is itself
 * such a convolution (of dy, with the weights transposed per group and flipped), so it shares this path.
 */
final class ImplicitConv {
  /** Padded-width output columns per GEMM call: eight register-tile panels. */
  private static final int BLOCK = 8 * Gemm.NR;

  private ImplicitConv() {}

  static boolean supportsForward(ConvGeom g) {
    return g.strideH() == 1 && g.strideW() == 1;
  }

  /** Stride 1 and no more padding than the dilated kernel's reach, so the flipped convolution's padding is valid. */
  static boolean supportsBackwardInput(ConvGeom g) {
    int reachH = g.dilationH() * (g.r() - 1);
    int reachW = g.dilationW() * (g.s() - 1);
    return supportsForward(g) && g.padTop() <= reachH && g.padBottom() <= reachH && g.padLeft() <= reachW
        && g.padRight() <= reachW;
  }

  /** y = conv(x, w), no bias, y overwritten. */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, ConvGeom g) {
    int size = Gemm.packedSizeA(g.kg(), g.colRows());
    float[] packed = Scratch.floats(Scratch.PACKED_W, g.groups() * size);
    for (int gi = 0; gi < g.groups(); gi++) {
      Gemm.packPanels(false, g.kg(), g.colRows(), w, wOff + gi * g.kg() * g.colRows(), g.colRows(), packed, gi * size);
    }
    run(x, xOff, packed, size, y, yOff, g);
  }

  /** dx = the adjoint of forward applied to dy, dx overwritten; needs {@link #supportsBackwardInput}. */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    forward(dy, dyOff, flippedWeights(w, wOff, g), 0, dx, dxOff, flippedGeometry(g));
  }

  /**
   * The convolution whose forward pass is g's backward-data pass (stride 1): of dy (K channels, P x Q) to dx,
   * padded by the dilated kernel's reach less g's padding on each side.
   */
  static ConvGeom flippedGeometry(ConvGeom g) {
    int reachH = g.dilationH() * (g.r() - 1);
    int reachW = g.dilationW() * (g.s() - 1);
    return new ConvGeom(g.n(), g.k(), g.p(), g.q(), g.c(), g.r(), g.s(), 1, 1, reachH - g.padTop(),
        reachW - g.padLeft(), reachH - g.padBottom(), reachW - g.padRight(), g.dilationH(), g.dilationW(), g.groups());
  }

  /**
   * The flipped geometry's weights, in this thread's FLIPPED_W scratch:
   * W'[gi cg + c][k][r][s] = W[gi kg + k][c][R-1-r][S-1-s], shape (C, K / groups, R, S).
   */
  static float[] flippedWeights(float[] w, int wOff, ConvGeom g) {
    int rs = g.r() * g.s();
    float[] wt = Scratch.floats(Scratch.FLIPPED_W, g.weightSize());
    for (int gi = 0; gi < g.groups(); gi++) {
      for (int k = 0; k < g.kg(); k++) {
        for (int c = 0; c < g.cg(); c++) {
          int src = wOff + ((gi * g.kg() + k) * g.cg() + c) * rs;
          int dst = ((gi * g.cg() + c) * g.kg() + k) * rs;
          for (int j = 0; j < rs; j++) {
            wt[dst + rs - 1 - j] = w[src + j];
          }
        }
      }
    }
    return wt;
  }

  /**
   * dw += dL/dw for stride 1, as dW^T (C R S x K) = B (C R S x P Wp) * dY'^T, with B's rows read in place from
   * the padded image (see {@link #image}) through the row offsets, and dY' = dy widened to the padded width with
   * zeros in the extra columns (so they contribute nothing). Both operands are read along the pixels: by
   * {@link GemmNT}'s dot products where it pays (few channels), else by GEMM.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    int hp = g.paddedH();
    int wp = g.paddedW();
    int[] rowOff = rowOffsets(g, hp, wp);
    int paddedSize = paddedSize(g, hp, wp);
    int columns = g.p() * wp;
    int perGroup = g.colRows() * g.kg();
    int total = g.groups() * perGroup;
    // Images in parallel (each chunk with its own dW^T, summed below) when there are enough of them;
    // otherwise one chunk on this thread, and the GEMM splits its rows across the pool.
    boolean byImage = g.n() >= Parallel.threads() && !Parallel.inWorker();
    int chunks = byImage ? Parallel.chunks(g.n()) : 1;
    float[] dwt = Scratch.floats(Scratch.PACKED_W, chunks * total);
    // Few channels, one group: GemmNT's dot products over the pixels. GEMM reads A in place here and packs only
    // dy, so the dot products win only while their accumulator is small: measured on ResNet-20 (one thread, AMD
    // EPYC), 1.2-1.8x faster at 16 channels (147 KB), 0.8-0.9x at 32 (590 KB).
    boolean dots = g.groups() == 1 && GemmNT.fits(g.colRows(), g.k(), CacheSizes.l2() / 2);
    int[] wideRows = dots ? GemmNT.evenRows(new int[g.k()], 0, columns) : null;
    Parallel.RangeBody body = (lo, hi, chunk) -> {
      Arrays.fill(dwt, chunk * total, (chunk + 1) * total, 0f);
      float[] xp = Scratch.floats(Scratch.PADDED, paddedSize);
      float[] wide = Scratch.floats(Scratch.COLUMNS, g.k() * columns);
      // The columns past q in each row stay zero for every image: clear them once, not per image.
      for (int k = 0; k < g.k(); k++) {
        for (int p = 0; p < g.p(); p++) {
          int dst = k * columns + p * wp;
          Arrays.fill(wide, dst + g.q(), dst + wp, 0f);
        }
      }
      float[] acc = dots ? GemmNT.zeroedAccumulator(g.colRows(), g.k()) : null;
      int[] aRows = dots ? new int[g.colRows()] : null;
      for (int i = lo; i < hi; i++) {
        int base = image(x, xOff, i, g, hp, wp, xp, paddedSize);
        float[] a = base < 0 ? xp : x;
        for (int k = 0; k < g.k(); k++) {
          for (int p = 0; p < g.p(); p++) {
            System.arraycopy(dy, dyOff + ((i * g.k() + k) * g.p() + p) * g.q(), wide, k * columns + p * wp, g.q());
          }
        }
        if (dots) {
          for (int t = 0; t < g.colRows(); t++) {
            aRows[t] = Math.max(base, 0) + rowOff[t];
          }
          GemmNT.accumulate(g.colRows(), g.k(), columns, a, aRows, wide, wideRows, acc);
          continue;
        }
        for (int gi = 0; gi < g.groups(); gi++) {
          Gemm.gemmRowOffsetsA(g.colRows(), g.kg(), columns, a, Math.max(base, 0) + gi * g.cg() * hp * wp, rowOff,
              true, wide, gi * g.kg() * columns, columns, 1f, dwt, chunk * total + gi * perGroup, g.kg());
        }
      }
      if (dots) {
        GemmNT.reduceInto(acc, g.colRows(), g.k(), dwt, chunk * total, g.k());
      }
    };
    if (byImage) {
      Parallel.forRange(g.n(), body);
    } else {
      body.run(0, g.n(), 0);
    }
    for (int chunk = 0; chunk < chunks; chunk++) {
      for (int gi = 0; gi < g.groups(); gi++) {
        for (int k = 0; k < g.kg(); k++) {
          int dst = dwOff + (gi * g.kg() + k) * g.colRows();
          int src = chunk * total + gi * perGroup + k;
          for (int j = 0; j < g.colRows(); j++) {
            dw[dst + j] += dwt[src + j * g.kg()];
          }
        }
      }
    }
  }

  /** Offset in the padded image of tap (c, r, s) of one group, row by row of the im2col matrix. */
  private static int[] rowOffsets(ConvGeom g, int hp, int wp) {
    int[] rowOff = Scratch.ints(g.colRows());
    int t = 0;
    for (int c = 0; c < g.cg(); c++) {
      for (int r = 0; r < g.r(); r++) {
        for (int s = 0; s < g.s(); s++) {
          rowOff[t++] = c * hp * wp + r * g.dilationH() * wp + s * g.dilationW();
        }
      }
    }
    return rowOff;
  }

  /** The padded image plus a tail: the last tile of the last row reads up to NR - 1 columns past it. */
  private static int paddedSize(ConvGeom g, int hp, int wp) {
    return g.c() * hp * wp + (g.s() - 1) * g.dilationW() + Gemm.NR;
  }

  /** The image loop: images in parallel when there are enough, otherwise column blocks of one image. */
  private static void run(float[] x, int xOff, float[] packed, int size, float[] y, int yOff, ConvGeom g) {
    int hp = g.paddedH();
    int wp = g.paddedW();
    int[] rowOff = rowOffsets(g, hp, wp);
    int paddedSize = paddedSize(g, hp, wp);
    int columns = g.p() * wp;
    int blocks = (columns + BLOCK - 1) / BLOCK;
    if (g.n() >= Parallel.threads()) {
      Parallel.forRange(g.n(), (lo, hi, chunk) -> {
        float[] xp = Scratch.floats(Scratch.PADDED, paddedSize);
        for (int i = lo; i < hi; i++) {
          int base = image(x, xOff, i, g, hp, wp, xp, paddedSize);
          float[] b = base < 0 ? xp : x;
          for (int job = 0; job < g.groups() * blocks; job++) {
            block(b, Math.max(base, 0), packed, size, rowOff, job / blocks, job % blocks, y, yOff, i, g, hp, wp);
          }
        }
      });
    } else {
      float[] xp = Scratch.floats(Scratch.PADDED, paddedSize);
      for (int i = 0; i < g.n(); i++) {
        int index = i;
        int base = image(x, xOff, i, g, hp, wp, xp, paddedSize);
        float[] b = base < 0 ? xp : x;
        Parallel.forRange(g.groups() * blocks, (lo, hi, chunk) -> {
          for (int job = lo; job < hi; job++) {
            block(b, Math.max(base, 0), packed, size, rowOff, job / blocks, job % blocks, y, yOff, index, g, hp, wp);
          }
        });
      }
    }
  }

  /**
   * Where image i is read from: an image without padding is read in place, returning its offset in x, when x
   * extends far enough past it for the last tile; otherwise it is copied, padded, into xp and -1 is returned.
   */
  private static int image(float[] x, int xOff, int i, ConvGeom g, int hp, int wp, float[] xp, int paddedSize) {
    int start = xOff + i * g.c() * g.h() * g.w();
    if (hp == g.h() && wp == g.w() && start + (long) paddedSize <= x.length) {
      return start;
    }
    pad(x, xOff, i, g, hp, wp, xp, paddedSize);
    return -1;
  }

  /** xp = image i of x, zero-padded to (C, Hp, Wp), plus a zero tail. */
  private static void pad(float[] x, int xOff, int i, ConvGeom g, int hp, int wp, float[] xp, int paddedSize) {
    Arrays.fill(xp, 0, paddedSize, 0f);
    for (int c = 0; c < g.c(); c++) {
      for (int ih = 0; ih < g.h(); ih++) {
        System.arraycopy(x, xOff + ((i * g.c() + c) * g.h() + ih) * g.w(), xp,
            (c * hp + ih + g.padTop()) * wp + g.padLeft(), g.w());
      }
    }
  }

  /** One group's output columns [blk BLOCK, ...) of one image: GEMM into a scratch block, then the valid columns out. */
  private static void block(float[] xp, int xpOff, float[] packed, int size, int[] rowOff, int gi, int blk, float[] y,
      int yOff, int i, ConvGeom g, int hp, int wp) {
    int t0 = blk * BLOCK;
    int tn = Math.min(BLOCK, g.p() * wp - t0);
    float[] out = Scratch.floats(Scratch.COLUMNS, g.kg() * BLOCK);
    Gemm.gemmRowOffsets(g.kg(), tn, g.colRows(), packed, gi * size, xp, xpOff + gi * g.cg() * hp * wp + t0, rowOff,
        out, 0, BLOCK);
    int q = g.q();
    int pq = g.p() * q;
    for (int k = 0; k < g.kg(); k++) {
      int yk = yOff + (i * g.k() + gi * g.kg() + k) * pq;
      for (int t = t0; t < t0 + tn; ) {
        int p = t / wp;
        int col = t - p * wp;
        int rowEnd = Math.min(t0 + tn, (p + 1) * wp);
        if (col < q) {
          System.arraycopy(out, k * BLOCK + t - t0, y, yk + p * q + col, Math.min(q, col + rowEnd - t) - col);
        }
        t = rowEnd;
      }
    }
  }
}
