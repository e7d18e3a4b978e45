package sparkcnn.kernels;

/**
 * The fast path of stride-1, undilated depthwise convolution: each plane is copied once into a zero-padded
 * buffer, then every output row is computed in one pass with all the filter's taps in the expression (3x3 and
 * 5x5 written out, so HotSpot vectorizes the row loop and each output is stored once instead of once per tap).
 * backwardInput is the same computation on dy with the filter flipped ({@link #adjoint}).
 */
final class PaddedPlanes {
  private PaddedPlanes() {}

  static boolean applies(ConvGeom g) {
    return g.isDepthwise() && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1 && g.dilationW() == 1
        && g.r() == g.s() && (g.r() == 3 || g.r() == 5) && g.padTop() < g.r() && g.padLeft() < g.s()
        && g.padBottom() < g.r() && g.padRight() < g.s();
  }

  /**
   * The geometry whose forward is this geometry's backwardInput: input dy (P x Q), output dx (H x W), padding
   * R - 1 - pad on each side.
   */
  static ConvGeom adjoint(ConvGeom g) {
    return new ConvGeom(g.n(), g.c(), g.p(), g.q(), g.k(), g.r(), g.s(), 1, 1, g.r() - 1 - g.padTop(),
        g.s() - 1 - g.padLeft(), g.h() + g.r() - 1 - g.p() - (g.r() - 1 - g.padTop()),
        g.w() + g.s() - 1 - g.q() - (g.s() - 1 - g.padLeft()), 1, 1, g.c());
  }

  /** y = depthwise(x, w) for a geometry that {@link #applies}; flip reads each filter rotated by 180 degrees. */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, ConvGeom g, boolean flip) {
    int k = g.r();
    int hp = g.h() + g.padTop() + g.padBottom();
    int wp = g.w() + g.padLeft() + g.padRight();
    int p = g.p();
    int q = g.q();
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      float[] xp = Scratch.floats(Scratch.PADDED, hp * wp);
      float[] f = new float[k * k];
      java.util.Arrays.fill(xp, 0, hp * wp, 0f);
      for (int plane = lo; plane < hi; plane++) {
        int src = xOff + plane * g.h() * g.w();
        for (int i = 0; i < g.h(); i++) {
          System.arraycopy(x, src + i * g.w(), xp, (i + g.padTop()) * wp + g.padLeft(), g.w());
        }
        int wo = wOff + (plane % g.c()) * k * k;
        for (int j = 0; j < k * k; j++) {
          f[j] = w[flip ? wo + k * k - 1 - j : wo + j];
        }
        int dst = yOff + plane * p * q;
        for (int i = 0; i < p; i++) {
          if (k == 3) {
            row3(xp, i * wp, wp, f, y, dst + i * q, q);
          } else {
            row5(xp, i * wp, wp, f, y, dst + i * q, q);
          }
        }
      }
    });
  }

  private static void row3(float[] x, int a, int wp, float[] f, float[] y, int o, int q) {
    float f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4], f5 = f[5], f6 = f[6], f7 = f[7], f8 = f[8];
    int b = a + wp;
    int c = b + wp;
    for (int j = 0; j < q; j++) {
      y[o + j] = f0 * x[a + j] + f1 * x[a + j + 1] + f2 * x[a + j + 2]
          + f3 * x[b + j] + f4 * x[b + j + 1] + f5 * x[b + j + 2]
          + f6 * x[c + j] + f7 * x[c + j + 1] + f8 * x[c + j + 2];
    }
  }

  private static void row5(float[] x, int a, int wp, float[] f, float[] y, int o, int q) {
    for (int r = 0; r < 5; r++) {
      float f0 = f[r * 5], f1 = f[r * 5 + 1], f2 = f[r * 5 + 2], f3 = f[r * 5 + 3], f4 = f[r * 5 + 4];
      int s = a + r * wp;
      if (r == 0) {
        for (int j = 0; j < q; j++) {
          y[o + j] = f0 * x[s + j] + f1 * x[s + j + 1] + f2 * x[s + j + 2] + f3 * x[s + j + 3] + f4 * x[s + j + 4];
        }
      } else {
        for (int j = 0; j < q; j++) {
          y[o + j] += f0 * x[s + j] + f1 * x[s + j + 1] + f2 * x[s + j + 2] + f3 * x[s + j + 3] + f4 * x[s + j + 4];
        }
      }
    }
  }

  /**
   * dw += dL/dw for a geometry that {@link #applies}: per output row, every tap's sum runs in its own
   * accumulator, so dy is read once instead of once per tap. Channels run in parallel (each owns its filter).
   */
  static void weights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    int k = g.r();
    int hp = g.h() + g.padTop() + g.padBottom();
    int wp = g.w() + g.padLeft() + g.padRight();
    int p = g.p();
    int q = g.q();
    Parallel.forRange(g.c(), (lo, hi, t) -> {
      float[] xp = Scratch.floats(Scratch.PADDED, hp * wp);
      java.util.Arrays.fill(xp, 0, hp * wp, 0f);
      float[] sums = new float[k * k];
      for (int c = lo; c < hi; c++) {
        java.util.Arrays.fill(sums, 0f);
        for (int n = 0; n < g.n(); n++) {
          int plane = n * g.c() + c;
          int src = xOff + plane * g.h() * g.w();
          for (int i = 0; i < g.h(); i++) {
            System.arraycopy(x, src + i * g.w(), xp, (i + g.padTop()) * wp + g.padLeft(), g.w());
          }
          int d = dyOff + plane * p * q;
          for (int i = 0; i < p; i++) {
            for (int r = 0; r < k; r++) {
              if (k == 3) {
                tapRow3(dy, d + i * q, xp, (i + r) * wp, q, sums, r * 3);
              } else {
                tapRow5(dy, d + i * q, xp, (i + r) * wp, q, sums, r * 5);
              }
            }
          }
        }
        int wo = dwOff + c * k * k;
        for (int j = 0; j < k * k; j++) {
          dw[wo + j] += sums[j];
        }
      }
    });
  }

  private static void tapRow3(float[] dy, int o, float[] x, int a, int q, float[] sums, int at) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    for (int j = 0; j < q; j++) {
      float d = dy[o + j];
      s0 += d * x[a + j];
      s1 += d * x[a + j + 1];
      s2 += d * x[a + j + 2];
    }
    sums[at] += s0;
    sums[at + 1] += s1;
    sums[at + 2] += s2;
  }

  private static void tapRow5(float[] dy, int o, float[] x, int a, int q, float[] sums, int at) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    float s4 = 0;
    for (int j = 0; j < q; j++) {
      float d = dy[o + j];
      s0 += d * x[a + j];
      s1 += d * x[a + j + 1];
      s2 += d * x[a + j + 2];
      s3 += d * x[a + j + 3];
      s4 += d * x[a + j + 4];
    }
    sums[at] += s0;
    sums[at + 1] += s1;
    sums[at + 2] += s2;
    sums[at + 3] += s3;
    sums[at + 4] += s4;
  }
}
