package sparkcnn.kernels;

import java.util.Arrays;

/**
 * Unfolds one image's channels into the GEMM operand of a convolution and folds it back (the adjoint).
 * Rows are (c, r, s) for c in one group; columns are output positions (p, q) for output rows
 * [p0, p1), so a convolution can work on row blocks that stay in cache.
 */
final class Im2col {
  private Im2col() {}

  /** col[(c R + r) S + s][(p - p0) Q + q] = x[c][p sh - pt + r dh][q sw - pl + s dw], zero outside the image. */
  static void unfold(float[] x, int xOff, ConvGeom g, int p0, int p1, float[] col) {
    walk(x, xOff, g, p0, p1, col, false);
  }

  /** The adjoint: x[c][ih][iw] += col[...] for every (c, r, s, p, q) that reads it. */
  static void foldAdd(float[] col, ConvGeom g, int p0, int p1, float[] x, int xOff) {
    walk(x, xOff, g, p0, p1, col, true);
  }

  private static void walk(float[] x, int xOff, ConvGeom g, int p0, int p1, float[] col, boolean fold) {
    final int h = g.h();
    final int w = g.w();
    final int q = g.q();
    final int sw = g.strideW();
    final int cols = (p1 - p0) * q;
    int row = 0;
    for (int c = 0; c < g.cg(); c++) {
      int xc = xOff + c * h * w;
      for (int r = 0; r < g.r(); r++) {
        for (int s = 0; s < g.s(); s++, row++) {
          int dst = row * cols;
          int off = s * g.dilationW() - g.padLeft();
          // Output columns whose input column q*sw + off lies inside [0, w).
          long valid = g.validColumns(off);
          int qlo = (int) (valid >>> 32);
          int qhi = (int) valid;
          for (int p = p0; p < p1; p++, dst += q) {
            int ih = p * g.strideH() - g.padTop() + r * g.dilationH();
            if (ih < 0 || ih >= h) {
              if (!fold) {
                Arrays.fill(col, dst, dst + q, 0f);
              }
              continue;
            }
            int src = xc + ih * w + off;
            if (fold) {
              if (sw == 1) {
                for (int j = qlo; j < qhi; j++) {
                  x[src + j] += col[dst + j];
                }
              } else {
                for (int j = qlo; j < qhi; j++) {
                  x[src + j * sw] += col[dst + j];
                }
              }
            } else {
              Arrays.fill(col, dst, dst + qlo, 0f);
              if (sw == 1) {
                if (qhi > qlo) { // an empty run may start before the array (a padded 1-pixel image)
                  System.arraycopy(x, src + qlo, col, dst + qlo, qhi - qlo);
                }
              } else {
                for (int j = qlo; j < qhi; j++) {
                  col[dst + j] = x[src + j * sw];
                }
              }
              Arrays.fill(col, dst + qhi, dst + q, 0f);
            }
          }
        }
      }
    }
  }
  /**
   * The same columns as {@link #unfold}, written straight into GEMM's packed-B form (see
   * {@link Gemm#gemmPackedB}): column j of row t lands at (j / NR) * rows * NR + t * NR + j % NR. Lanes of
   * the last panel past the block's columns are zeroed.
   */
  static void unfoldPacked(float[] x, int xOff, ConvGeom g, int p0, int p1, float[] dst) {
    final int nr = Gemm.NR;
    final int h = g.h();
    final int w = g.w();
    final int q = g.q();
    final int sw = g.strideW();
    final int rows = g.colRows();
    final int panelStride = rows * nr;
    int row = 0;
    for (int c = 0; c < g.cg(); c++) {
      int xc = xOff + c * h * w;
      for (int r = 0; r < g.r(); r++) {
        for (int s = 0; s < g.s(); s++, row++) {
          int off = s * g.dilationW() - g.padLeft();
          long valid = g.validColumns(off);
          int qlo = (int) (valid >>> 32);
          int qhi = (int) valid;
          for (int p = p0; p < p1; p++) {
            int ih = p * g.strideH() - g.padTop() + r * g.dilationH();
            boolean inside = ih >= 0 && ih < h;
            int src = xc + ih * w + off;
            int j = (p - p0) * q;
            // Runs of output columns that stay inside one panel.
            for (int q0 = 0; q0 < q; ) {
              int panel = j / nr;
              int lane = j - panel * nr;
              int run = Math.min(nr - lane, q - q0);
              int d = panel * panelStride + row * nr + lane - q0;
              int a = inside ? Math.min(Math.max(qlo, q0), q0 + run) : q0 + run;
              int b = inside ? Math.max(a, Math.min(qhi, q0 + run)) : q0 + run;
              // Most runs are all image: skip the empty fills and copies, whose calls cost more than short runs.
              if (a > q0) {
                Arrays.fill(dst, d + q0, d + a, 0f);
              }
              if (b > a) {
                if (sw == 1) {
                  System.arraycopy(x, src + a, dst, d + a, b - a);
                } else {
                  for (int t = a; t < b; t++) {
                    dst[d + t] = x[src + t * sw];
                  }
                }
              }
              if (q0 + run > b) {
                Arrays.fill(dst, d + b, d + q0 + run, 0f);
              }
              q0 += run;
              j += run;
            }
          }
        }
      }
    }
    int cols = (p1 - p0) * q;
    int used = cols % nr;
    if (used != 0) {
      int last = (cols / nr) * panelStride;
      for (int t = 0; t < rows; t++) {
        Arrays.fill(dst, last + t * nr + used, last + t * nr + nr, 0f);
      }
    }
  }
}
