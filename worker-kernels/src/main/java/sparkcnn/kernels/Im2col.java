package sparkcnn.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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

  /**
   * {@link #foldAdd} for a column stride of 2, into the input's column phases instead of the input: row (c, ih)'s
   * even columns (2j) and odd ones (2j + 1) each a row of {@link PhaseRows#stride} floats, column j at
   * {@link PhaseRows#margin} + j, the odd rows after all the even ones. A tap's whole row of output columns then
   * adds into consecutive floats of one phase row, a vector at a time; the columns outside the input land in the
   * margins, which the merge skips. Adding into every other float of x instead went one float at a time (half of
   * a stride-2 3x3 layer's backward data, JFR). {@link #mergePhases} writes x from them.
   */
  static void foldAddPhases(float[] col, ConvGeom g, int p0, int p1, float[] ph, PhaseRows layout) {
    final int h = g.h();
    final int q = g.q();
    final int cols = (p1 - p0) * q;
    int row = 0;
    for (int c = 0; c < g.cg(); c++) {
      for (int r = 0; r < g.r(); r++) {
        for (int s = 0; s < g.s(); s++, row++) {
          // Input column 2j + off is phase off mod 2, column j + floor(off / 2).
          int off = s * g.dilationW() - g.padLeft();
          int phase = Math.floorMod(off, 2) * layout.odd + layout.margin + Math.floorDiv(off, 2);
          // The output rows whose input row ih = p sh - padTop + r dh lies inside [0, h): [pLo, pHi), worked out
          // once per tap rather than checked row by row. ResNet-20's 16 -> 32 layer (16 outputs a row), one AMD
          // EPYC thread, one JVM alternating: 51.9 against 48.1 GFLOP/s (median), 32 -> 64 on 64x64 73.7 against
          // 71.7. (A loop of its own for rows of whole vectors, instead of addRun per row, measured level: 52.2
          // against 51.8, 73.4 against 73.7.)
          int reach = r * g.dilationH() - g.padTop();
          int pLo = Math.max(p0, Math.floorDiv(-reach + g.strideH() - 1, g.strideH()));
          int pHi = Math.min(p1, Math.floorDiv(h - 1 - reach, g.strideH()) + 1);
          int from = row * cols + (pLo - p0) * q;
          int to = phase + (c * h + pLo * g.strideH() + reach) * layout.stride;
          int step = g.strideH() * layout.stride;
          for (int p = pLo; p < pHi; p++, from += q, to += step) {
            addRun(col, from, ph, to, q);
          }
        }
      }
    }
  }

  /**
   * Where {@link #foldAddPhases} keeps a group's column phases: rows of stride floats, column j of a phase at
   * margin + j, the odd phase's rows odd floats after the even ones'.
   */
  record PhaseRows(int stride, int margin, int odd) {
    static PhaseRows of(ConvGeom g) {
      int half = (g.w() + 1) / 2;
      // Taps reach floor(off / 2) phase columns left of an output's and q - 1 + floor(off / 2) right of it.
      int margin = Math.max(0, -Math.floorDiv(-g.padLeft(), 2));
      int right = Math.max(0, g.q() - 1 + Math.floorDiv((g.s() - 1) * g.dilationW() - g.padLeft(), 2) - (half - 1));
      int stride = margin + half + right;
      return new PhaseRows(stride, margin, g.cg() * g.h() * stride);
    }

    /** Floats of both phases. */
    int size() {
      return 2 * odd;
    }
  }

  /** x's cg channels of the group at xOff (overwritten) from the column phases {@link #foldAddPhases} filled. */
  static void mergePhases(float[] ph, ConvGeom g, PhaseRows layout, float[] x, int xOff) {
    int w = g.w();
    for (int row = 0; row < g.cg() * g.h(); row++) {
      int even = row * layout.stride + layout.margin;
      FramedPlanes.mergeRow(ph, even, layout.odd + even, 0, w, x, xOff + row * w);
    }
  }

  /** dst[d, d + n) += src[s, s + n). */
  private static void addRun(float[] src, int s, float[] dst, int d, int n) {
    int i = Simd.AVAILABLE ? Vec.addRun(src, s, dst, d, n) : 0;
    for (; i < n; i++) {
      dst[d + i] += src[s + i];
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** {@link Im2col#addRun} in whole vectors; returns how many floats it added. */
    static int addRun(float[] src, int s, float[] dst, int d, int n) {
      int i = 0;
      for (; i <= n - S.length(); i += S.length()) {
        FloatVector.fromArray(S, dst, d + i).add(FloatVector.fromArray(S, src, s + i)).intoArray(dst, d + i);
      }
      return i;
    }
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
