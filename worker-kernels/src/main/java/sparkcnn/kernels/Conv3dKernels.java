package sparkcnn.kernels;

import java.util.Arrays;

/**
 * 3D convolution (video, volumetric data) as vol2col + GEMM, one image and group at a time, images in parallel.
 * Operands as in {@link Conv3dGeom}; forward and backwardInput overwrite, backwardWeights accumulates.
 */
public final class Conv3dKernels {
  private Conv3dKernels() {}

  /** db (K) += the sum of dy over batch and volume. */
  public static void backwardBias(float[] dy, int dyOff, float[] db, int dbOff, Conv3dGeom g) {
    Conv2dKernels.sumPlanes(dy, dyOff, g.n(), g.k(), g.outVolume(), db, dbOff);
  }

  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
      Conv3dGeom g) {
    check(g, x, xOff, w, wOff, y, yOff);
    int vol = g.volume();
    int ov = g.outVolume();
    Parallel.forRange(g.n(), (lo, hi, chunk) -> {
      float[] col = Scratch.floats(Scratch.COLUMNS, g.colRows() * ov);
      for (int i = lo; i < hi; i++) {
        for (int gi = 0; gi < g.groups(); gi++) {
          walk(x, xOff + (i * g.c() + gi * g.cg()) * vol, g, col, false);
          int yg = yOff + (i * g.k() + gi * g.kg()) * ov;
          Gemm.gemm(false, false, g.kg(), ov, g.colRows(), 1f, w, wOff + gi * g.kg() * g.colRows(), g.colRows(),
              col, 0, ov, 0f, y, yg, ov);
        }
        if (b != null) {
          Conv2dKernels.addPerChannel(b, bOff, y, yOff + i * g.k() * ov, 1, g.k(), ov);
        }
      }
    });
  }

  public static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, Conv3dGeom g) {
    check(g, dx, dxOff, w, wOff, dy, dyOff);
    int vol = g.volume();
    int ov = g.outVolume();
    Parallel.forRange(g.n(), (lo, hi, chunk) -> {
      float[] col = Scratch.floats(Scratch.COLUMNS, g.colRows() * ov);
      for (int i = lo; i < hi; i++) {
        Arrays.fill(dx, dxOff + i * g.c() * vol, dxOff + (i + 1) * g.c() * vol, 0f);
        for (int gi = 0; gi < g.groups(); gi++) {
          Gemm.gemm(true, false, g.colRows(), ov, g.kg(), 1f, w, wOff + gi * g.kg() * g.colRows(), g.colRows(),
              dy, dyOff + (i * g.k() + gi * g.kg()) * ov, ov, 0f, col, 0, ov);
          walk(dx, dxOff + (i * g.c() + gi * g.cg()) * vol, g, col, true);
        }
      }
    });
  }

  /** dw += dL/dw; images run one after another (GEMM is parallel inside), so dw needs no partial copies. */
  public static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, Conv3dGeom g) {
    check(g, x, xOff, dw, dwOff, dy, dyOff);
    int vol = g.volume();
    int ov = g.outVolume();
    float[] col = Scratch.floats(Scratch.COLUMNS, g.colRows() * ov);
    for (int i = 0; i < g.n(); i++) {
      for (int gi = 0; gi < g.groups(); gi++) {
        walk(x, xOff + (i * g.c() + gi * g.cg()) * vol, g, col, false);
        Gemm.gemm(false, true, g.kg(), g.colRows(), ov, 1f, dy, dyOff + (i * g.k() + gi * g.kg()) * ov, ov,
            col, 0, ov, 1f, dw, dwOff + gi * g.kg() * g.colRows(), g.colRows());
      }
    }
  }

  private static void check(Conv3dGeom g, float[] x, int xOff, float[] w, int wOff, float[] y, int yOff) {
    ConvGeom.operand("conv3d", "x", new int[] {g.n(), g.c(), g.d(), g.h(), g.w()}, x, xOff);
    ConvGeom.operand("conv3d", "w", new int[] {g.k(), g.cg(), g.t(), g.r(), g.s()}, w, wOff);
    ConvGeom.operand("conv3d", "y", new int[] {g.n(), g.k(), g.od(), g.p(), g.q()}, y, yOff);
  }

  /** vol2col (fold = false: col = unfold(x)) or its adjoint (fold = true: x += fold(col)) for one group. */
  private static void walk(float[] x, int xOff, Conv3dGeom g, float[] col, boolean fold) {
    int ov = g.outVolume();
    int row = 0;
    for (int c = 0; c < g.cg(); c++) {
      for (int kt = 0; kt < g.t(); kt++) {
        for (int kr = 0; kr < g.r(); kr++) {
          for (int ks = 0; ks < g.s(); ks++, row++) {
            int j = row * ov;
            for (int od = 0; od < g.od(); od++) {
              int id = od * g.stride() - g.pad() + kt * g.dilation();
              for (int p = 0; p < g.p(); p++) {
                int ih = p * g.stride() - g.pad() + kr * g.dilation();
                for (int q = 0; q < g.q(); q++, j++) {
                  int iw = q * g.stride() - g.pad() + ks * g.dilation();
                  boolean inside = id >= 0 && id < g.d() && ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w();
                  int xi = xOff + ((c * g.d() + id) * g.h() + ih) * g.w() + iw;
                  if (fold) {
                    if (inside) {
                      x[xi] += col[j];
                    }
                  } else {
                    col[j] = inside ? x[xi] : 0f;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
