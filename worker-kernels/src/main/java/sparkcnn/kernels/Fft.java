package sparkcnn.kernels;

/**
 * In-place radix-2 complex FFT over separate real and imaginary float arrays, and its 2D form (rows, then
 * columns). Sizes are powers of two. Used by {@link FftConv2d}.
 */
final class Fft {
  private Fft() {}

  /** Smallest power of two at least n. */
  static int size(int n) {
    return Integer.highestOneBit(Math.max(1, n - 1)) << (n > 1 ? 1 : 0);
  }

  /** Transforms re/im[off + i * stride], i in [0, n); inverse = true computes the unscaled inverse. */
  static void fft(float[] re, float[] im, int off, int stride, int n, boolean inverse) {
    for (int i = 1, j = 0; i < n; i++) {
      int bit = n >> 1;
      for (; (j & bit) != 0; bit >>= 1) {
        j ^= bit;
      }
      j ^= bit;
      if (i < j) {
        swap(re, off + i * stride, off + j * stride);
        swap(im, off + i * stride, off + j * stride);
      }
    }
    for (int len = 2; len <= n; len <<= 1) {
      double angle = 2 * Math.PI / len * (inverse ? 1 : -1);
      int half = len >> 1;
      for (int k = 0; k < half; k++) {
        float wr = (float) Math.cos(angle * k);
        float wi = (float) Math.sin(angle * k);
        for (int i = k; i < n; i += len) {
          int a = off + i * stride;
          int b = off + (i + half) * stride;
          float xr = re[b] * wr - im[b] * wi;
          float xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }

  /** 2D transform of a rows x cols plane at off (row-major); the inverse is scaled by 1 / (rows cols). */
  static void fft2(float[] re, float[] im, int off, int rows, int cols, boolean inverse) {
    for (int i = 0; i < rows; i++) {
      fft(re, im, off + i * cols, 1, cols, inverse);
    }
    for (int j = 0; j < cols; j++) {
      fft(re, im, off + j, cols, rows, inverse);
    }
    if (inverse) {
      float scale = 1f / (rows * cols);
      for (int i = off; i < off + rows * cols; i++) {
        re[i] *= scale;
        im[i] *= scale;
      }
    }
  }

  private static void swap(float[] a, int i, int j) {
    float t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
