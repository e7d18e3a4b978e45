package sparkcnn.kernels;

import java.util.Arrays;

/**
 * The first depthwise kernels, kept as the reference that {@link DepthwiseRows} is tested and benchmarked
 * against, and as the path for dilated filters: each filter tap sweeps a whole output row with a loop HotSpot
 * vectorizes (stride-1 3x3 and 5x5 through zero-padded planes, {@link PaddedPlanes}); planes (image, channel)
 * run in parallel. Operands as in {@link Conv2dKernels}; no bias here.
 */
public final class DepthwiseReference {
  private DepthwiseReference() {}

  /** y = depthwise(x, w), overwriting y. */
  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, ConvGeom g) {
    if (PaddedPlanes.applies(g)) {
      PaddedPlanes.forward(x, xOff, w, wOff, y, yOff, g, false);
      return;
    }
    int hw = g.h() * g.w();
    int pq = g.p() * g.q();
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      for (int plane = lo; plane < hi; plane++) {
        int yp = yOff + plane * pq;
        Arrays.fill(y, yp, yp + pq, 0f);
        taps(g, xOff + plane * hw, wOff + (plane % g.c()) * g.r() * g.s(), yp, (tap, src, dst, qlo, qhi) -> {
          float wv = w[tap];
          int sw = g.strideW();
          if (sw == 1) {
            for (int j = qlo; j < qhi; j++) {
              y[dst + j] += wv * x[src + j];
            }
          } else {
            for (int j = qlo; j < qhi; j++) {
              y[dst + j] += wv * x[src + j * sw];
            }
          }
        });
      }
    });
  }

  /** dx = adjoint of forward applied to dy, overwriting dx. */
  public static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    if (PaddedPlanes.applies(g)) {
      PaddedPlanes.forward(dy, dyOff, w, wOff, dx, dxOff, PaddedPlanes.adjoint(g), true);
      return;
    }
    int hw = g.h() * g.w();
    int pq = g.p() * g.q();
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      for (int plane = lo; plane < hi; plane++) {
        int xp = dxOff + plane * hw;
        Arrays.fill(dx, xp, xp + hw, 0f);
        taps(g, xp, wOff + (plane % g.c()) * g.r() * g.s(), dyOff + plane * pq, (tap, src, dst, qlo, qhi) -> {
          float wv = w[tap];
          int sw = g.strideW();
          if (sw == 1) {
            for (int j = qlo; j < qhi; j++) {
              dx[src + j] += wv * dy[dst + j];
            }
          } else {
            for (int j = qlo; j < qhi; j++) {
              dx[src + j * sw] += wv * dy[dst + j];
            }
          }
        });
      }
    });
  }

  /** dw += dL/dw. Channels run in parallel, so each thread owns its filters and no partial sums are needed. */
  public static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    if (PaddedPlanes.applies(g)) {
      PaddedPlanes.weights(x, xOff, dy, dyOff, dw, dwOff, g);
      return;
    }
    int hw = g.h() * g.w();
    int pq = g.p() * g.q();
    Parallel.forRange(g.c(), (lo, hi, t) -> {
      for (int c = lo; c < hi; c++) {
        for (int i = 0; i < g.n(); i++) {
          int plane = i * g.c() + c;
          taps(g, xOff + plane * hw, dwOff + c * g.r() * g.s(), dyOff + plane * pq, (tap, src, dst, qlo, qhi) -> {
            int sw = g.strideW();
            float s = 0;
            for (int j = qlo; j < qhi; j++) {
              s += dy[dst + j] * x[src + j * sw];
            }
            dw[tap] += s;
          });
        }
      }
    });
  }

  /** One filter tap over one output row: src is the input index of output column 0 (may lie outside the row). */
  @FunctionalInterface
  interface TapRow {
    void run(int tap, int src, int dst, int qlo, int qhi);
  }

  /**
   * Visits every (tap, output row) of one plane with the output columns [qlo, qhi) whose input lies inside the
   * image; rows whose input row is padding are skipped.
   */
  static void taps(ConvGeom g, int xPlane, int wPlane, int yPlane, TapRow body) {
    int sw = g.strideW();
    for (int r = 0; r < g.r(); r++) {
      for (int s = 0; s < g.s(); s++) {
        int off = s * g.dilationW() - g.padLeft();
        long valid = g.validColumns(off);
        int qlo = (int) (valid >>> 32);
        int qhi = (int) valid;
        int tap = wPlane + r * g.s() + s;
        for (int p = 0; p < g.p(); p++) {
          int ih = p * g.strideH() - g.padTop() + r * g.dilationH();
          if (ih >= 0 && ih < g.h()) {
            body.run(tap, xPlane + ih * g.w() + off, yPlane + p * g.q(), qlo, qhi);
          }
        }
      }
    }
  }
}
