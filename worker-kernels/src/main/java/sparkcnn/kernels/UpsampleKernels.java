package sparkcnn.kernels;

import java.util.Arrays;

/**
 * Upsampling x (N, C, H, W) to y (N, C, H f, W f): nearest neighbour (each pixel copied to an f x f block),
 * bed of nails (the pixel at the block's top-left, zeros elsewhere) and max-unpooling (each value back at the
 * position its max-pool took it from, given that pool's argmax; y then has the pool's input shape).
 * Outputs and input gradients are overwritten.
 */
public final class UpsampleKernels {
  private UpsampleKernels() {}

  public static void nearestForward(float[] x, int xOff, float[] y, int yOff, int planes, int h, int w, int f) {
    int wo = w * f;
    for (int plane = 0; plane < planes; plane++) {
      for (int i = 0; i < h * f; i++) {
        int src = xOff + plane * h * w + (i / f) * w;
        int dst = yOff + (plane * h * f + i) * wo;
        for (int j = 0; j < wo; j++) {
          y[dst + j] = x[src + j / f];
        }
      }
    }
  }

  /** dx = sum of dy over each f x f block. */
  public static void nearestBackward(float[] dy, int dyOff, float[] dx, int dxOff, int planes, int h, int w, int f) {
    int wo = w * f;
    Arrays.fill(dx, dxOff, dxOff + planes * h * w, 0f);
    for (int plane = 0; plane < planes; plane++) {
      for (int i = 0; i < h * f; i++) {
        int dst = dxOff + plane * h * w + (i / f) * w;
        int src = dyOff + (plane * h * f + i) * wo;
        for (int j = 0; j < wo; j++) {
          dx[dst + j / f] += dy[src + j];
        }
      }
    }
  }

  public static void bedOfNailsForward(float[] x, int xOff, float[] y, int yOff, int planes, int h, int w, int f) {
    int wo = w * f;
    Arrays.fill(y, yOff, yOff + planes * h * f * wo, 0f);
    for (int plane = 0; plane < planes; plane++) {
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
          y[yOff + (plane * h * f + i * f) * wo + j * f] = x[xOff + (plane * h + i) * w + j];
        }
      }
    }
  }

  /** dx = dy at each block's top-left pixel. */
  public static void bedOfNailsBackward(float[] dy, int dyOff, float[] dx, int dxOff, int planes, int h, int w, int f) {
    int wo = w * f;
    for (int plane = 0; plane < planes; plane++) {
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
          dx[dxOff + (plane * h + i) * w + j] = dy[dyOff + (plane * h * f + i * f) * wo + j * f];
        }
      }
    }
  }

  /**
   * Max-unpooling: x has the pool's output shape, y (overwritten) the pool's input shape (pool as given to the
   * max pool). Values are assigned, as in PyTorch's MaxUnpool2d: where overlapping windows picked the same input,
   * it receives one of them, not their sum.
   */
  public static void maxUnpoolForward(float[] x, int xOff, int[] argmax, float[] y, int yOff, ConvGeom pool) {
    int pq = pool.p() * pool.q();
    int hw = pool.h() * pool.w();
    Arrays.fill(y, yOff, yOff + pool.inputSize(), 0f);
    for (int j = 0; j < pool.outputSize(); j++) {
      if (argmax[j] >= 0) {
        y[yOff + (j / pq) * hw + argmax[j]] = x[xOff + j];
      }
    }
  }

  /** dx[i] = dy at the position argmax[i] names. */
  public static void maxUnpoolBackward(float[] dy, int dyOff, int[] argmax, float[] dx, int dxOff, ConvGeom pool) {
    int pq = pool.p() * pool.q();
    int hw = pool.h() * pool.w();
    for (int j = 0; j < pool.outputSize(); j++) {
      dx[dxOff + j] = argmax[j] < 0 ? 0f : dy[dyOff + (j / pq) * hw + argmax[j]];
    }
  }
}
