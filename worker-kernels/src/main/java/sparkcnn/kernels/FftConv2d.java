package sparkcnn.kernels;

import java.util.Arrays;

/**
 * Convolution through the FFT, for large kernels (stride 1, dilation 1, one group), where its cost
 * O(planes F log F) beats im2col's O(P Q R S) per plane pair. Every plane is zero-padded to F = FH x FW
 * (powers of two covering the padded input), so circular correlation equals the linear one:
 * forward y = IFFT(sum_c X_c conj(W_kc)); backwardInput dx = IFFT(sum_k DY_k W_kc); backwardWeights
 * dw_kc = IFFT(sum_n X_nc conj(DY_nk)). Same operands and results as {@link Conv2dKernels}.
 */
public final class FftConv2d {
  private FftConv2d() {}

  /** True if this path can compute g. */
  public static boolean supports(ConvGeom g) {
    return g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1 && g.dilationW() == 1 && g.groups() == 1;
  }

  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
      ConvGeom g) {
    Plan f = new Plan(g, "forward");
    g.checkOperands("fft conv2d forward", x, xOff, w, wOff, b, bOff, y, yOff);
    float[][] wk = f.spectra(g.k() * g.c(), (i, re) -> f.loadKernel(w, wOff + i * g.r() * g.s(), re));
    float[][] xs = new float[2][g.c() * f.size];
    float[][] acc = new float[2][f.size];
    for (int n = 0; n < g.n(); n++) {
      for (int c = 0; c < g.c(); c++) {
        f.loadPadded(x, xOff + (n * g.c() + c) * g.h() * g.w(), xs, c);
      }
      for (int k = 0; k < g.k(); k++) {
        f.clear(acc);
        for (int c = 0; c < g.c(); c++) {
          f.multiplyAdd(xs, c, wk, k * g.c() + c, true, acc);
        }
        Fft.fft2(acc[0], acc[1], 0, f.fh, f.fw, true);
        int o = yOff + (n * g.k() + k) * g.p() * g.q();
        float bias = b == null ? 0f : b[bOff + k];
        for (int p = 0; p < g.p(); p++) {
          for (int q = 0; q < g.q(); q++) {
            y[o + p * g.q() + q] = acc[0][p * f.fw + q] + bias;
          }
        }
      }
    }
  }

  /** Overwrites dx. */
  public static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    Plan f = new Plan(g, "backwardInput");
    g.checkOperands("fft conv2d backwardInput", dx, dxOff, w, wOff, null, 0, dy, dyOff);
    float[][] wk = f.spectra(g.k() * g.c(), (i, re) -> f.loadKernel(w, wOff + i * g.r() * g.s(), re));
    float[][] ys = new float[2][g.k() * f.size];
    float[][] acc = new float[2][f.size];
    for (int n = 0; n < g.n(); n++) {
      for (int k = 0; k < g.k(); k++) {
        f.loadOutput(dy, dyOff + (n * g.k() + k) * g.p() * g.q(), ys, k);
      }
      for (int c = 0; c < g.c(); c++) {
        f.clear(acc);
        for (int k = 0; k < g.k(); k++) {
          f.multiplyAdd(ys, k, wk, k * g.c() + c, false, acc);
        }
        Fft.fft2(acc[0], acc[1], 0, f.fh, f.fw, true);
        int o = dxOff + (n * g.c() + c) * g.h() * g.w();
        for (int i = 0; i < g.h(); i++) {
          for (int j = 0; j < g.w(); j++) {
            dx[o + i * g.w() + j] = acc[0][(i + g.padTop()) * f.fw + j + g.padLeft()];
          }
        }
      }
    }
  }

  /** Accumulates into dw. */
  public static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Plan f = new Plan(g, "backwardWeights");
    g.checkOperands("fft conv2d backwardWeights", x, xOff, dw, dwOff, null, 0, dy, dyOff);
    int hw = g.h() * g.w();
    int pq = g.p() * g.q();
    float[][] xs = f.spectra(g.n() * g.c(), (i, re) -> f.loadPaddedReal(x, xOff + i * hw, re));
    float[][] ys = f.spectra(g.n() * g.k(), (i, re) -> f.loadOutputReal(dy, dyOff + i * pq, re));
    float[][] acc = new float[2][f.size];
    for (int k = 0; k < g.k(); k++) {
      for (int c = 0; c < g.c(); c++) {
        f.clear(acc);
        for (int n = 0; n < g.n(); n++) {
          f.multiplyAdd(xs, n * g.c() + c, ys, n * g.k() + k, true, acc);
        }
        Fft.fft2(acc[0], acc[1], 0, f.fh, f.fw, true);
        int o = dwOff + (k * g.c() + c) * g.r() * g.s();
        for (int r = 0; r < g.r(); r++) {
          for (int s = 0; s < g.s(); s++) {
            dw[o + r * g.s() + s] += acc[0][r * f.fw + s];
          }
        }
      }
    }
  }

  /** Fills the real part of one plane (imaginary part is zero on entry). */
  @FunctionalInterface
  private interface Loader {
    void load(int index, float[] re);
  }

  /** FFT sizes and plane helpers for one geometry. */
  private static final class Plan {
    final ConvGeom g;
    final int fh;
    final int fw;
    final int size;

    Plan(ConvGeom g, String pass) {
      if (!supports(g)) {
        throw new IllegalArgumentException("fft conv2d " + pass + ": needs stride 1, dilation 1 and one group, got " + g);
      }
      this.g = g;
      this.fh = Fft.size(g.paddedH());
      this.fw = Fft.size(g.paddedW());
      this.size = fh * fw;
    }

    /** count planes, each loaded and transformed: [0] real parts, [1] imaginary parts, plane i at i * size. */
    float[][] spectra(int count, Loader loader) {
      float[][] s = new float[2][count * size];
      float[] plane = new float[size];
      for (int i = 0; i < count; i++) {
        Arrays.fill(plane, 0f);
        loader.load(i, plane);
        System.arraycopy(plane, 0, s[0], i * size, size);
        Fft.fft2(s[0], s[1], i * size, fh, fw, false);
      }
      return s;
    }

    void loadKernel(float[] w, int off, float[] re) {
      for (int r = 0; r < g.r(); r++) {
        System.arraycopy(w, off + r * g.s(), re, r * fw, g.s());
      }
    }

    /** The input plane at its padded position. */
    void loadPaddedReal(float[] x, int off, float[] re) {
      for (int i = 0; i < g.h(); i++) {
        System.arraycopy(x, off + i * g.w(), re, (i + g.padTop()) * fw + g.padLeft(), g.w());
      }
    }

    void loadOutputReal(float[] y, int off, float[] re) {
      for (int p = 0; p < g.p(); p++) {
        System.arraycopy(y, off + p * g.q(), re, p * fw, g.q());
      }
    }

    void loadPadded(float[] x, int off, float[][] dst, int slot) {
      clearSlot(dst, slot);
      float[] re = dst[0];
      for (int i = 0; i < g.h(); i++) {
        System.arraycopy(x, off + i * g.w(), re, slot * size + (i + g.padTop()) * fw + g.padLeft(), g.w());
      }
      Fft.fft2(dst[0], dst[1], slot * size, fh, fw, false);
    }

    void loadOutput(float[] y, int off, float[][] dst, int slot) {
      clearSlot(dst, slot);
      for (int p = 0; p < g.p(); p++) {
        System.arraycopy(y, off + p * g.q(), dst[0], slot * size + p * fw, g.q());
      }
      Fft.fft2(dst[0], dst[1], slot * size, fh, fw, false);
    }

    private void clearSlot(float[][] dst, int slot) {
      Arrays.fill(dst[0], slot * size, (slot + 1) * size, 0f);
      Arrays.fill(dst[1], slot * size, (slot + 1) * size, 0f);
    }

    void clear(float[][] acc) {
      Arrays.fill(acc[0], 0f);
      Arrays.fill(acc[1], 0f);
    }

    /** acc += a[i] * (conj ? conj(b[j]) : b[j]), elementwise complex. */
    void multiplyAdd(float[][] a, int i, float[][] b, int j, boolean conj, float[][] acc) {
      float[] ar = a[0];
      float[] ai = a[1];
      float[] br = b[0];
      float[] bi = b[1];
      float sign = conj ? -1f : 1f;
      for (int t = 0; t < size; t++) {
        float xr = ar[i * size + t];
        float xi = ai[i * size + t];
        float yr = br[j * size + t];
        float yi = sign * bi[j * size + t];
        acc[0][t] += xr * yr - xi * yi;
        acc[1][t] += xr * yi + xi * yr;
      }
    }
  }
}
