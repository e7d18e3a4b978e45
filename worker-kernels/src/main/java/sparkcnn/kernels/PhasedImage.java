package sparkcnn.kernels;

import java.util.Arrays;

/**
 * How {@link ImplicitConv} lays out one zero-padded input image so that every tap reads its inputs for a row of
 * outputs as one contiguous run, whatever the stride. The padded plane (Hp x Wp) is split into sh x sw phase
 * planes: phase (a, b) holds padded pixel (sh i + a, sw j + b) at (i, j), in a plane of ceil(Hp / sh) x
 * ceil(Wp / sw). Output (p, q) of tap (r, s) reads padded pixel (sh p + r dh, sw q + s dw), which is pixel
 * (p + r dh / sh, q + s dw / sw) of phase (r dh mod sh, s dw mod sw): consecutive outputs read consecutive floats,
 * so the GEMM's columns run over outputs at the phase planes' width (the extra columns past Q are computed and
 * dropped, unless {@link ImplicitConv#rowWise} computes each output row alone). At stride 1 there is one phase,
 * the padded plane itself (its rows' left and right padding possibly one shared gutter: {@link #strideOneWidth}),
 * and an unpadded image is read in place.
 * The split is a copy of the image, about what im2col writes for one tap instead of R S.
 */
final class PhasedImage {
  private final ConvGeom g;
  /** Height and width of a phase plane; the width is the GEMM's column pitch per output row. */
  final int rows;
  final int width;
  /** Floats of one channel's phase planes. */
  private final int channel;
  /** Floats of the whole layout: the planes, plus the last tile's reach past the last output column. */
  final int size;

  /**
   * The layout for a product whose columns are the GEMM's outputs (forward, and backward data as a forward): they
   * are computed a register panel of {@link Gemm#NR} at a time, so the width keeps the panels few and full.
   */
  static PhasedImage forOutputs(ConvGeom g) {
    return new PhasedImage(g, true);
  }

  /** The layout for the weight gradient, whose columns are the GEMM's sums: the fewer, the less work. */
  static PhasedImage forWeights(ConvGeom g) {
    return new PhasedImage(g, false);
  }

  private PhasedImage(ConvGeom g, boolean panels) {
    this.g = g;
    this.rows = ceilDiv(g.paddedH(), g.strideH());
    this.width = g.strideH() == 1 && g.strideW() == 1 ? strideOneWidth(g, panels)
        : ceilDiv(g.paddedW(), g.strideW());
    this.channel = g.strideH() * g.strideW() * rows * width;
    this.size = g.c() * channel + (g.s() - 1) * g.dilationW() / g.strideW() + Gemm.NR;
  }

  /**
   * At stride 1 a row's right padding and the next row's left padding can be one gutter of max(left, right) zero
   * columns (a tap reaching past a row's end wraps into the next row's left zeros), which wastes fewer of the
   * GEMM's columns: W + 1 a row for a 3x3 filter instead of W + 2. Any width from that to the padded width lays
   * the image out correctly; weight gradients take the narrowest, outputs the one that needs the fewest register
   * panels, then whole ones. Measured (one AMD EPYC thread, GFLOP/s, 32-column panels): 5x5 32 -> 64 on 14x14 at
   * width 16 instead of 18 (7 panels an image instead of 8), 82 against 73 forward and backward data; 3x3 on
   * 14x14 at width 15 instead of 16 (still 7 panels, the last one partial), 82 against 85 forward.
   */
  private static int strideOneWidth(ConvGeom g, boolean panels) {
    // A row of outputs must fit too (wider than the gutter when the padding is wider than the filter).
    int narrowest = Math.max(g.w() + Math.max(g.padLeft(), g.padRight()), g.q());
    if (!panels) {
      return narrowest;
    }
    int best = g.paddedW();
    for (int w = narrowest; w < g.paddedW(); w++) {
      if (panelCost(g.p() * w) < panelCost(g.p() * best)) {
        best = w;
      }
    }
    return best;
  }

  /** Register panels for this many output columns, twice over, plus one if the last is partial. */
  private static int panelCost(int columns) {
    return 2 * ceilDiv(columns, Gemm.NR) + (columns % Gemm.NR == 0 ? 0 : 1);
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  /** Output columns the GEMM computes per image: P rows at the phase width. */
  int columns() {
    return g.p() * width;
  }

  /** Offset of tap (c, r, s) of one group, row by row of the im2col matrix, in this thread's int scratch. */
  int[] rowOffsets() {
    int[] rowOff = Scratch.ints(g.colRows());
    int t = 0;
    for (int c = 0; c < g.cg(); c++) {
      for (int r = 0; r < g.r(); r++) {
        for (int s = 0; s < g.s(); s++) {
          rowOff[t++] = c * channel + tap(r * g.dilationH(), s * g.dilationW());
        }
      }
    }
    return rowOff;
  }

  /** Offset, within a channel, of the padded pixel (dr, ds) from an output's origin: its phase plane, row, column. */
  private int tap(int dr, int ds) {
    int sh = g.strideH();
    int sw = g.strideW();
    int phase = (dr % sh) * sw + ds % sw;
    return phase * rows * width + (dr / sh) * width + ds / sw;
  }

  /** Offset of group gi's first channel. */
  int groupOffset(int gi) {
    return gi * g.cg() * channel;
  }

  /**
   * Where image i is read from: an unpadded stride-1 image is read in place, returning its offset in x, when x
   * extends far enough past it for the last tile; otherwise it is laid out in xp (at least {@link #size} floats)
   * and -1 is returned.
   */
  int place(float[] x, int xOff, int i, float[] xp) {
    int start = xOff + i * g.c() * g.h() * g.w();
    boolean plain = g.strideH() == 1 && g.strideW() == 1 && g.paddedH() == g.h() && g.paddedW() == g.w();
    if (plain && start + (long) size <= x.length) {
      return start;
    }
    copy(x, start, xp);
    return -1;
  }

  /**
   * xp = the image at x[start], padded and split into phases, zeros elsewhere (the tail too, and the pixels right
   * of the last window's reach: see {@link #clearUnreached}).
   */
  private void copy(float[] x, int start, float[] xp) {
    int planes = g.c() * channel;
    if (g.strideW() == 2) {
      // A vector at a time, every float of the phases written: one pair of loads gives both column phases.
      for (int c = 0; c < g.c(); c++) {
        FramedPlanes.padStride2(x, start + c * g.h() * g.w(), g.h(), g.w(), g.padTop(), g.padLeft(), g.strideH(),
            rows, width, xp, c * channel);
      }
      Arrays.fill(xp, planes, size, 0f);
    } else if (g.strideH() == 1 && g.strideW() == 1) {
      // Each channel's padded frame a vector at a time (zeroing the layout, then a copy per row, was 2.6% of a
      // ResNet-20 training step).
      for (int c = 0; c < g.c(); c++) {
        FramedPlanes.pad(x, start + c * g.h() * g.w(), g.h(), g.w(), g.padTop(), g.padLeft(), rows, width, xp,
            c * channel);
      }
      Arrays.fill(xp, planes, size, 0f);
    } else {
      copyScalar(x, start, xp);
    }
    clearUnreached(xp);
  }

  /**
   * Zeroes the pixels past the last window's reach (right of padded column sw (Q - 1) + (S - 1) dw, below padded
   * row sh (P - 1) + (R - 1) dh), which a stride can leave in no window. The GEMM's extra columns (and their spill
   * into the next phase row) read them, and the weight gradient multiplies those by dy's zeros: an Inf there would
   * give NaN where the direct sum has none.
   */
  private void clearUnreached(float[] xp) {
    int sh = g.strideH();
    int sw = g.strideW();
    int reachH = sh * (g.p() - 1) + (g.r() - 1) * g.dilationH();
    int reachW = sw * (g.q() - 1) + (g.s() - 1) * g.dilationW();
    if (g.padTop() + g.h() - 1 <= reachH && g.padLeft() + g.w() - 1 <= reachW) {
      return;
    }
    for (int c = 0; c < g.c(); c++) {
      for (int a = 0; a < sh; a++) {
        int lastRow = a > reachH ? -1 : (reachH - a) / sh;
        for (int b = 0; b < sw; b++) {
          int phase = c * channel + (a * sw + b) * rows * width;
          int from = b > reachW ? 0 : Math.min(width, (reachW - b) / sw + 1);
          for (int i = 0; i < rows; i++) {
            Arrays.fill(xp, phase + i * width + (i > lastRow ? 0 : from), phase + (i + 1) * width, 0f);
          }
        }
      }
    }
  }

  /** copy for the other strides (column stride 1 under a row stride, 3 and up): zeros, then each row phase by phase. */
  private void copyScalar(float[] x, int start, float[] xp) {
    Arrays.fill(xp, 0, size, 0f);
    int sw = g.strideW();
    for (int c = 0; c < g.c(); c++) {
      for (int ih = 0; ih < g.h(); ih++) {
        int src = start + (c * g.h() + ih) * g.w();
        int rowStart = c * channel + tap(ih + g.padTop(), 0);
        if (sw == 1) {
          System.arraycopy(x, src, xp, rowStart + g.padLeft(), g.w());
          continue;
        }
        // One phase's columns at a time: padded column v = iw + padLeft goes to phase v mod sw, column v / sw.
        for (int b = 0; b < sw; b++) {
          int first = Math.floorMod(b - g.padLeft(), sw);
          int dst = rowStart + b * rows * width + (first + g.padLeft()) / sw;
          for (int iw = first; iw < g.w(); iw += sw, dst++) {
            xp[dst] = x[src + iw];
          }
        }
      }
    }
  }
}
