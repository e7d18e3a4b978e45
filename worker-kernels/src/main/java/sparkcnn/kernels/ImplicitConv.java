package sparkcnn.kernels;

import java.util.Arrays;

/**
 * Convolution as an implicit GEMM: Y (K x P Wc) = W (K x C R S) * B with B((c, r, s), t) read in place from the
 * zero-padded image through one offset per (c, r, s) ({@link PhasedImage}: at stride 1 the padded image itself,
 * B((c, r, s), t) = xpad[c][r D][s D + t]; at larger strides the image split into its stride phases, so each tap
 * still reads a contiguous run). Output rows are computed at the layout's width Wc (at stride 1 between W plus a
 * gutter of max(left, right) zeros that neighbouring rows share and the padded width), so consecutive rows are
 * contiguous; the Wc - Q extra columns per row are dropped when the block is copied out. Where a layout has no
 * extra columns the GEMM writes y itself, and where it has them but an output row is a whole number of register
 * panels, each row is computed alone, straight into y ({@link #rowWise}); output rows of one vector go two to a
 * register panel, the panel's second vector reading the next row past the extra columns ({@link #rowPairs}).
 * Nothing like im2col is ever written: for layers with few output channels that copy costs as much as the FMAs.
 * Backward-data of a stride-1 convolution is itself such a convolution (of dy, with the weights transposed per
 * group and flipped), so it shares this path; a strided one's is one such convolution per stride phase of dx
 * ({@link StridedBackwardData}).
 */
final class ImplicitConv {
  /**
   * Output columns (at the layout's width) per block of work: eight register-tile panels, one GEMM call; row-wise
   * ({@link #rowWise}) as many whole output rows as fit, a call each.
   */
  private static final int BLOCK = 8 * Gemm.NR;

  private ImplicitConv() {}

  /** Columns an image below which a weight gradient with a register panel of filters or more takes GEMM. */
  private static final int SHORT_SWEEP = 512;

  /** Output columns an image below which a strided weight gradient is left to im2col (see {@link #stridedPays}). */
  private static final int STRIDED_WEIGHT_COLUMNS = 64;

  /** Input channels from which a strided backward-data pass takes the phases (see {@link #stridedPays}). */
  private static final int STRIDED_DATA_CHANNELS = 64;

  /**
   * Whether the heuristic takes this path for a pass of a strided layer. Measured on the zoo's strided dense
   * layers (one thread, AMD EPYC, against im2col): forward 1.2-2x faster for kernels larger than 1x1; for a 1x1
   * (which reads one phase of four) a tie forward and 1.5-3x slower weight gradients; weight gradients on small
   * outputs (20 columns an image and under) 1.3-1.6x slower, as each image's GEMM is too short to pay for packing
   * its dy, where im2col's blocks span several images. Backward data ({@link StridedBackwardData}, a GEMM per
   * phase with dx's channels as its rows): 1.05x at 64 input channels on 8x8 outputs, 1.8-2x at 128 and 256 on
   * 4x4 and 2x2, but 0.4-0.75x with 3 input channels (stems) and 0.9x at 16, and slower where a kernel is no
   * larger than its stride (each phase one tap: 1x1, and U-Net's 2x2 stride-2 up-convolutions, whose forward is
   * this pass, at 0.6-0.85x). Stride-1 layers always take it.
   */
  static boolean stridedPays(ConvGeom g, ConvAlgorithm.Pass pass) {
    if (g.r() * g.s() == 1) {
      return false;
    }
    return switch (pass) {
      case FORWARD -> true;
      case BACKWARD_DATA -> g.cg() >= STRIDED_DATA_CHANNELS && g.r() > g.strideH() && g.s() > g.strideW();
      case BACKWARD_WEIGHTS -> PhasedImage.forWeights(g).columns() >= STRIDED_WEIGHT_COLUMNS;
    };
  }

  /**
   * No more padding than the dilated kernel's reach, so the flipped convolution's padding is valid (stride 1), or
   * every stride phase's (strided).
   */
  static boolean supportsBackwardInput(ConvGeom g) {
    if (g.strideH() > 1 || g.strideW() > 1) {
      return StridedBackwardData.supports(g);
    }
    int reachH = g.dilationH() * (g.r() - 1);
    int reachW = g.dilationW() * (g.s() - 1);
    return g.padTop() <= reachH && g.padBottom() <= reachH && g.padLeft() <= reachW
        && g.padRight() <= reachW;
  }

  /** y = conv(x, w), no bias, y overwritten. */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, ConvGeom g) {
    forward(x, xOff, w, wOff, null, y, yOff, g);
  }

  /** As above, with w already packed ({@link Conv2dKernels#packedWeights}) when packedW is not null. */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] packedW, float[] y, int yOff, ConvGeom g) {
    float[] packed = Conv2dKernels.packedOrScratch(packedW, false, g.groups(), g.kg(), g.colRows(), w, wOff);
    run(x, xOff, packed, y, yOff, g);
  }

  /**
   * dx = the adjoint of forward applied to dy, dx overwritten; needs {@link #supportsBackwardInput}. Strided: one
   * such convolution per stride phase of dx ({@link StridedBackwardData}).
   */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    if (g.strideH() > 1 || g.strideW() > 1) {
      StridedBackwardData.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      return;
    }
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
    return flippedTaps(w, wOff, g, java.util.stream.IntStream.range(0, g.r()).toArray(),
        java.util.stream.IntStream.range(0, g.s()).toArray());
  }

  /**
   * The weights of the taps (rows[i], cols[j]) only, transposed per group and flipped, in this thread's FLIPPED_W
   * scratch: W'[gi cg + c][k][i][j] = W[gi kg + k][c][rows[T-1-i]][cols[U-1-j]], shape (C, K / groups, T, U). With
   * every tap, the flipped geometry's weights; with a stride phase's, that phase's ({@link StridedBackwardData}).
   */
  static float[] flippedTaps(float[] w, int wOff, ConvGeom g, int[] rows, int[] cols) {
    int t = rows.length;
    int u = cols.length;
    float[] wt = Scratch.floats(Scratch.FLIPPED_W, g.c() * g.kg() * t * u);
    for (int gi = 0; gi < g.groups(); gi++) {
      for (int k = 0; k < g.kg(); k++) {
        for (int c = 0; c < g.cg(); c++) {
          int src = wOff + ((gi * g.kg() + k) * g.cg() + c) * g.r() * g.s();
          int dst = ((gi * g.cg() + c) * g.kg() + k) * t * u;
          for (int i = 0; i < t; i++) {
            for (int j = 0; j < u; j++) {
              wt[dst + i * u + j] = w[src + rows[t - 1 - i] * g.s() + cols[u - 1 - j]];
            }
          }
        }
      }
    }
    return wt;
  }

  /**
   * dw += dL/dw, as dW^T (C R S x K) = B (C R S x P Q) * dY^T, both operands read along the pixels. By {@link
   * GemmNT}'s dot products where they pay (few channels, long sweeps): B's rows read in place from the image's
   * {@link PhasedImage} layout through the row offsets, over the layout's columns (P Wc), against dy widened to the
   * layout's width with zeros in the extra columns (so they contribute nothing). Otherwise by GEMM ({@link Framed}),
   * over the outputs themselves.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    PhasedImage layout = PhasedImage.forWeights(g);
    int columns = layout.columns();
    int perGroup = g.colRows() * g.kg();
    int total = g.groups() * perGroup;
    // Images in parallel (each chunk with its own dW^T, summed below) when there are enough of them;
    // otherwise one chunk on this thread, and the GEMM splits its rows across the pool.
    boolean byImage = g.n() >= Parallel.threads() && !Parallel.inWorker();
    int chunks = byImage ? Parallel.chunks(g.n()) : 1;
    float[] dwt = Scratch.floats(Scratch.PACKED_W, chunks * total);
    // Few channels, one group: GemmNT's dot products over the pixels. GEMM reads A in place here and packs only
    // dy, so the dot products win only while their accumulator is small: measured on ResNet-20 (one thread, AMD
    // EPYC), 1.2-1.8x faster at 16 channels (147 KB), 0.8-0.9x at 32 (590 KB); in GemmNT.Blocks, 16 channels gained
    // 1.04x more and 32 stayed behind GEMM (55-57 GFLOP/s against 60-62). Nor where an image's sweep is short and
    // the filters fill GEMM's register panel: each dot tile reloads its accumulators per image. One JVM, dots
    // against GEMM: 3x3 stride 2 16 -> 32 on 32x32 (272 columns) 50.1 against 54.9 GFLOP/s, 24 -> 32 on 16x16 (72)
    // 14.1 against 46.3, 16 -> 32 on 16x16 64.9 against 67.5; 8 -> 32 stride 2 on 32x32 47.7 against 44.9 (the one
    // loss); with 1056 columns (16 -> 32 on 32x32) 77.4 against 68.9, with 16 or 24 filters 65-73 against 45-47.
    // (Those GEMM figures are from before it read the outputs through a frame ({@link Framed}), 1.06-1.13x faster
    // since; the threshold is not re-measured.)
    boolean dots = g.groups() == 1 && GemmNT.fits(g.colRows(), g.k(), CacheSizes.l2() / 2)
        && (g.k() < Gemm.NR || columns >= SHORT_SWEEP);
    Parallel.RangeBody body;
    if (dots) {
      int wp = layout.width;
      int[] rowOff = layout.rowOffsets();
      // x's rows are its channels' planes at every tap's offset: per column they read about the layout's share.
      GemmNT.Blocks blocks = new GemmNT.Blocks(g.colRows(), g.k(), (long) layout.size / columns + g.k() + 1);
      int[] wideRows = GemmNT.evenRows(new int[g.k()], 0, columns);
      body = (lo, hi, chunk) -> {
        Arrays.fill(dwt, chunk * total, (chunk + 1) * total, 0f);
        float[] xp = Scratch.floats(Scratch.PADDED, layout.size);
        // A vector past the rows: a frame row narrower than a vector is stored as a whole one.
        float[] wide = Scratch.floats(Scratch.COLUMNS, g.k() * columns + Simd.LANES);
        float[] acc = blocks.zeroedAccumulator();
        int[] aRows = new int[g.colRows()];
        for (int i = lo; i < hi; i++) {
          int base = layout.place(x, xOff, i, xp);
          float[] a = base < 0 ? xp : x;
          // dy's K P rows of Q into rows of the layout's width, zeros past Q: one frame, a vector at a time (a copy
          // per row, 32 floats each on ResNet-20, cost 1.03-1.05x more on its 16x16 and 5x5 weight gradients).
          FramedPlanes.pad(dy, dyOff + i * g.k() * g.p() * g.q(), g.k() * g.p(), g.q(), 0, 0, g.k() * g.p(), wp,
              wide);
          for (int t = 0; t < g.colRows(); t++) {
            aRows[t] = Math.max(base, 0) + rowOff[t];
          }
          blocks.accumulate(columns, a, aRows, wide, wideRows, acc);
        }
        blocks.reduceInto(acc, dwt, chunk * total, g.k());
      };
    } else {
      Framed framed = new Framed(g);
      body = (lo, hi, chunk) -> {
        Arrays.fill(dwt, chunk * total, (chunk + 1) * total, 0f);
        framed.accumulate(x, xOff, dy, dyOff, lo, hi, dwt, chunk * total);
      };
    }
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

  /**
   * The weight gradient through GEMM with A's columns at the outputs' own pixels: dW^T (C R S x K) = A (C R S x
   * P Q) dY^T, A(t, p) = the padded image at tap t's offset plus output p's ({@link Gemm#gemmRowOffsetsA}' column
   * map: sh oy Wp + sw ox), read from the image padded into a frame (or in place where unpadded), dy read in place.
   * No stride phases to split x into, no extra columns and no widened copy of dy: the GEMM's broadcast loads of A
   * need no run of consecutive floats.
   */
  private static final class Framed {
    private final ConvGeom g;
    private final int plane;
    private final int[] rowOff;
    private final int[] kMap;
    private final boolean inPlace;

    Framed(ConvGeom g) {
      this.g = g;
      inPlace = g.padTop() == 0 && g.padLeft() == 0 && g.padBottom() == 0 && g.padRight() == 0;
      int wp = g.paddedW();
      plane = g.paddedH() * wp;
      rowOff = new int[g.colRows()];
      int t = 0;
      for (int c = 0; c < g.cg(); c++) {
        for (int r = 0; r < g.r(); r++) {
          for (int s = 0; s < g.s(); s++) {
            rowOff[t++] = c * plane + r * g.dilationH() * wp + s * g.dilationW();
          }
        }
      }
      kMap = new int[g.p() * g.q()];
      for (int oy = 0; oy < g.p(); oy++) {
        for (int ox = 0; ox < g.q(); ox++) {
          kMap[oy * g.q() + ox] = g.strideH() * oy * wp + g.strideW() * ox;
        }
      }
    }

    /** dwt[at ...] += images [lo, hi)'s dW^T, group after group (C R S / groups x K / groups each). */
    void accumulate(float[] x, int xOff, float[] dy, int dyOff, int lo, int hi, float[] dwt, int at) {
      int pq = g.p() * g.q();
      float[] frame = inPlace ? null : Scratch.floats(Scratch.PADDED, g.c() * plane + Simd.LANES);
      for (int i = lo; i < hi; i++) {
        int image = xOff + i * g.c() * g.h() * g.w();
        float[] a = x;
        int base = image;
        if (!inPlace) {
          for (int c = 0; c < g.c(); c++) {
            FramedPlanes.pad(x, image + c * g.h() * g.w(), g.h(), g.w(), g.padTop(), g.padLeft(), g.paddedH(),
                g.paddedW(), frame, c * plane);
          }
          a = frame;
          base = 0;
        }
        for (int gi = 0; gi < g.groups(); gi++) {
          Gemm.gemmRowOffsetsA(g.colRows(), g.kg(), pq, a, base + gi * g.cg() * plane, rowOff, kMap, true, dy,
              dyOff + (i * g.k() + gi * g.kg()) * pq, pq, 1f, dwt, at + gi * g.colRows() * g.kg(), g.kg());
        }
      }
    }
  }

  /** The image loop: images in parallel when there are enough, otherwise blocks of one image's outputs. */
  private static void run(float[] x, int xOff, float[] packed, float[] y, int yOff, ConvGeom g) {
    Plan plan = new Plan(g);
    int xImage = g.c() * g.h() * g.w();
    int yImage = g.k() * g.p() * g.q();
    if (g.n() >= Parallel.threads()) {
      Parallel.forRange(g.n(), (lo, hi, chunk) -> {
        for (int i = lo; i < hi; i++) {
          plan.image(x, xOff + i * xImage, packed, y, yOff + i * yImage);
        }
      });
    } else {
      for (int i = 0; i < g.n(); i++) {
        plan.image(x, xOff + i * xImage, packed, y, yOff + i * yImage);
      }
    }
  }

  /**
   * What the forward of one geometry needs before its first image: the input layout, its row offsets and the
   * blocks of work an image is cut into. Made once per call (or once per strided backward-data pass, whose
   * phases run image by image: {@link StridedBackwardData}), not per image.
   */
  static final class Plan {
    private final ConvGeom g;
    private final PhasedImage layout;
    private final int[] rowOff;
    /** Output rows per block where row-wise (an even number in pairs of rows), else 0 (blocks of columns). */
    private final int rows;
    private final int blocks;
    /** Floats of one group's packed weights ({@link Conv2dKernels#packedWeights}). */
    private final int size;

    Plan(ConvGeom g) {
      this.g = g;
      layout = PhasedImage.forOutputs(g);
      // A copy: the offsets are built in this thread's scratch, which the next plan would overwrite.
      rowOff = layout.rowOffsets().clone();
      rows = rowPairs(g, layout) ? Math.max(2, BLOCK / layout.width / 2 * 2)
          : rowWise(g, layout) ? Math.max(1, BLOCK / layout.width) : 0;
      blocks = rows > 0 ? (g.p() + rows - 1) / rows : (layout.columns() + BLOCK - 1) / BLOCK;
      size = Gemm.packedSizeA(g.kg(), g.colRows());
    }

    /**
     * One image, at x[xImage], into y[yImage]: on this thread inside a kernel-pool task, otherwise its blocks
     * across the pool. packed holds the weights packed group by group.
     */
    void image(float[] x, int xImage, float[] packed, float[] y, int yImage) {
      float[] xp = Scratch.floats(Scratch.PADDED, layout.size);
      int base = layout.place(x, xImage, 0, xp);
      float[] b = base < 0 ? xp : x;
      int from = Math.max(base, 0);
      Parallel.forRange(g.groups() * blocks, (lo, hi, chunk) -> {
        for (int job = lo; job < hi; job++) {
          block(b, from, packed, size, rowOff, job / blocks, job % blocks, rows, y, yImage, g, layout);
        }
      });
    }
  }

  /**
   * Whether output rows are whole register panels (Q a multiple of {@link Gemm#NR}) past which the layout has extra
   * columns: then the GEMM computes each output row's panels alone and writes them into y ({@link #block}), so the
   * extra columns are never computed and nothing is copied out of scratch (that copy, 16 to 32 floats a call, was
   * an eighth of ResNet-20's 32x32 forward). Measured on one AMD EPYC thread, both ways in one JVM alternating,
   * median GFLOP/s: 3x3 16 -> 16 on 32x32 b128 forward 78.3 against 70.1, backward data 80.7 against 71.1; the
   * 3 -> 16 stem 71.6 against 52.6; 3x3 stride 2 on 64x64 b8 75.7 against 69.9 (backward data through its phases,
   * forced, 51.2 against 46.0); 5x5 32 -> 64 on 32x32 93.8 against 87.8; 128x128 planes level. With 8 lanes (16-column
   * panels, -XX:UseAVX=2) 16x16 planes qualify too: 32 channels 70.0 against 59.0 forward, 71.4 against 63.1 backward
   * data.
   */
  static boolean rowWise(ConvGeom g, PhasedImage layout) {
    return g.q() % Gemm.NR == 0 && layout.width > g.q();
  }

  /**
   * Whether output rows are one vector wide (Q = {@link Simd#LANES}) and the layout has extra columns past them:
   * then each register panel (two vectors) computes two output rows, its second vector reading the next row past
   * the extra columns ({@link Gemm#gemmRowOffsets}' gap), straight into y; with an odd number of rows the last
   * panel is one row (an edge tile, whose second vector reads the row after it: at most one phase row past the
   * tap's plane, so into the next plane or, for the last channel's last plane, the layout's tail). Before,
   * those rows were blocks of the layout's columns, the extra ones computed (272 for 256 outputs on 16x16) and each
   * block copied out of scratch. Measured on one AMD EPYC thread (16 lanes), both ways in one JVM, median GFLOP/s:
   * 3x3 stride 2 16 -> 32 on 32x32 b128 forward 60.6 against 52.9, backward data (its phases are 16x16) 40.0
   * against 36.6; 3x3 32 -> 32 on 16x16 forward 89.3 against 76.8, backward data 81.4 against 72.1; 32 -> 64
   * forward 91.8 against 76.6, backward data 87.9 against 77.2.
   */
  static boolean rowPairs(ConvGeom g, PhasedImage layout) {
    return g.q() == Simd.LANES && layout.width > g.q();
  }

  /**
   * One group's output columns [blk BLOCK, ...) of one image (its y at yImage): GEMM into a scratch block, then
   * the valid columns out (a layout without extra columns: GEMM into y). Row-wise ({@link #rowWise} or {@link
   * #rowPairs}, rows &gt; 0), output rows [blk rows, ...) instead, each row's panels (or pair of rows') straight into
   * y.
   */
  private static void block(float[] xp, int xpOff, float[] packed, int size, int[] rowOff, int gi, int blk, int rows,
      float[] y, int yImage, ConvGeom g, PhasedImage layout) {
    int wp = layout.width;
    int q = g.q();
    int pq = g.p() * q;
    int from = xpOff + layout.groupOffset(gi);
    int yg = yImage + gi * g.kg() * pq;
    if (rows > 0 && rowPairs(g, layout)) {
      int p0 = blk * rows;
      int p1 = Math.min(g.p(), p0 + rows);
      Gemm.gemmRowOffsets(g.kg(), (p1 - p0) * q, g.colRows(), packed, gi * size, xp, from + p0 * wp, rowOff,
          wp - q, y, yg + p0 * q, pq);
      return;
    }
    if (rows > 0) {
      for (int p = blk * rows; p < Math.min(g.p(), (blk + 1) * rows); p++) {
        Gemm.gemmRowOffsets(g.kg(), q, g.colRows(), packed, gi * size, xp, from + p * wp, rowOff, y, yg + p * q, pq);
      }
      return;
    }
    int t0 = blk * BLOCK;
    int tn = Math.min(BLOCK, layout.columns() - t0);
    if (wp == q) {
      // The layout's columns are y's: nothing to drop.
      Gemm.gemmRowOffsets(g.kg(), tn, g.colRows(), packed, gi * size, xp, from + t0, rowOff, y, yg + t0, pq);
      return;
    }
    float[] out = Scratch.floats(Scratch.COLUMNS, g.kg() * BLOCK);
    Gemm.gemmRowOffsets(g.kg(), tn, g.colRows(), packed, gi * size, xp, from + t0, rowOff, out, 0, BLOCK);
    for (int k = 0; k < g.kg(); k++) {
      int yk = yg + k * pq;
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
