package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Conv1d, Conv3d, transposed Conv2d and the FFT path, each against its own direct loop and finite differences. */
class ConvVariantsTest {
  private final SplittableRandom rnd = new SplittableRandom(11);

  @Test
  void conv1dMatchesADirectLoop() {
    int n = 2, c = 4, len = 13, k = 6, ks = 3, stride = 2, pad = 2, dil = 2, groups = 2;
    ConvGeom g = Conv1dKernels.geom(n, c, len, k, ks, stride, pad, pad, dil, groups);
    float[] x = Rand.floats(rnd, n * c * len);
    float[] w = Rand.floats(rnd, k * (c / groups) * ks);
    float[] y = new float[g.outputSize()];
    Conv1dKernels.forward(x, 0, w, 0, null, 0, y, 0, g);
    int lout = (len + 2 * pad - dil * (ks - 1) - 1) / stride + 1;
    float[] ref = new float[n * k * lout];
    for (int i = 0; i < n; i++) {
      for (int o = 0; o < k; o++) {
        int gi = o / (k / groups);
        for (int t = 0; t < lout; t++) {
          double s = 0;
          for (int ci = 0; ci < c / groups; ci++) {
            for (int j = 0; j < ks; j++) {
              int at = t * stride - pad + j * dil;
              if (at >= 0 && at < len) {
                s += x[(i * c + gi * (c / groups) + ci) * len + at] * w[(o * (c / groups) + ci) * ks + j];
              }
            }
          }
          ref[(i * k + o) * lout + t] = (float) s;
        }
      }
    }
    Rand.assertClose(ref, y, 1e-5, "conv1d");
    float[] dy = Rand.floats(rnd, y.length);
    float[] dx = new float[x.length];
    float[] dw = new float[w.length];
    Conv1dKernels.backwardInput(dy, 0, w, 0, dx, 0, g);
    Conv1dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g);
    GradCheck.check("conv1d dx", xs -> run1d(g, xs, w), x, dy, dx, 1e-3);
    GradCheck.check("conv1d dw", ws -> run1d(g, x, ws), w, dy, dw, 1e-3);
  }

  private static float[] run1d(ConvGeom g, float[] x, float[] w) {
    float[] y = new float[g.outputSize()];
    Conv1dKernels.forward(x, 0, w, 0, null, 0, y, 0, g);
    return y;
  }

  @Test
  void conv3dMatchesNaiveAndFiniteDifferences() {
    for (Conv3dGeom g : new Conv3dGeom[] {
        new Conv3dGeom(2, 3, 5, 6, 4, 4, 3, 3, 2, 1, 1, 1, 1),
        new Conv3dGeom(1, 4, 6, 5, 7, 6, 2, 3, 3, 2, 1, 1, 2),
        new Conv3dGeom(2, 2, 7, 7, 7, 2, 3, 3, 3, 1, 2, 2, 1)}) {
      float[] x = Rand.floats(rnd, g.inputSize());
      float[] w = Rand.floats(rnd, g.weightSize());
      float[] b = Rand.floats(rnd, g.k());
      float[] y = new float[g.outputSize()];
      float[] ref = new float[g.outputSize()];
      Conv3dKernels.forward(x, 0, w, 0, b, 0, y, 0, g);
      Conv3dNaive.forward(x, w, b, ref, g);
      Rand.assertClose(ref, y, 1e-5, "conv3d " + g);
      float[] dy = Rand.floats(rnd, y.length);
      float[] dx = new float[x.length];
      float[] dw = new float[w.length];
      Conv3dKernels.backwardInput(dy, 0, w, 0, dx, 0, g);
      Conv3dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g);
      GradCheck.check("conv3d dx " + g, xs -> run3d(g, xs, w), x, dy, dx, 1e-3);
      GradCheck.check("conv3d dw " + g, ws -> run3d(g, x, ws), w, dy, dw, 1e-3);
    }
  }

  private static float[] run3d(Conv3dGeom g, float[] x, float[] w) {
    float[] y = new float[g.outputSize()];
    Conv3dKernels.forward(x, 0, w, 0, null, 0, y, 0, g);
    return y;
  }

  @Test
  void transposedConvIsTheScatterOfItsDefinition() {
    // (n, cin, h, w, cout, r, s, stride, pad, dilation, outputPadding, groups)
    int[][] cases = {{2, 3, 4, 5, 4, 3, 3, 2, 1, 1, 1, 1}, {1, 4, 3, 3, 6, 2, 2, 2, 0, 1, 0, 2},
        {2, 2, 5, 4, 3, 3, 3, 1, 1, 2, 0, 1}, {1, 6, 4, 4, 6, 4, 4, 2, 1, 1, 0, 6}};
    for (int[] t : cases) {
      int n = t[0], cin = t[1], h = t[2], wd = t[3], cout = t[4], r = t[5], s = t[6], stride = t[7], pad = t[8],
          dil = t[9], op = t[10], groups = t[11];
      ConvGeom g = ConvTranspose2dKernels.geom(n, cin, h, wd, cout, r, s, stride, pad, dil, op, groups);
      float[] x = Rand.floats(rnd, n * cin * h * wd);
      float[] w = Rand.floats(rnd, cin * (cout / groups) * r * s);
      float[] b = Rand.floats(rnd, cout);
      float[] y = new float[g.inputSize()];
      ConvTranspose2dKernels.forward(x, 0, w, 0, b, 0, y, 0, g);
      int ho = g.h();
      int wo = g.w();
      double[] ref = new double[y.length];
      for (int i = 0; i < n; i++) {
        for (int co = 0; co < cout; co++) {
          for (int j = 0; j < ho * wo; j++) {
            ref[(i * cout + co) * ho * wo + j] = b[co];
          }
        }
        for (int ci = 0; ci < cin; ci++) {
          int gi = ci / (cin / groups);
          for (int co = 0; co < cout / groups; co++) {
            for (int a = 0; a < h; a++) {
              for (int bb = 0; bb < wd; bb++) {
                for (int kr = 0; kr < r; kr++) {
                  for (int kc = 0; kc < s; kc++) {
                    int oy = a * stride - pad + kr * dil;
                    int ox = bb * stride - pad + kc * dil;
                    if (oy >= 0 && oy < ho && ox >= 0 && ox < wo) {
                      ref[((i * cout + gi * (cout / groups) + co) * ho + oy) * wo + ox] +=
                          x[((i * cin + ci) * h + a) * wd + bb] * w[((ci * (cout / groups) + co) * r + kr) * s + kc];
                    }
                  }
                }
              }
            }
          }
        }
      }
      float[] refF = new float[ref.length];
      for (int i = 0; i < ref.length; i++) {
        refF[i] = (float) ref[i];
      }
      Rand.assertClose(refF, y, 1e-5, "conv_transpose2d " + java.util.Arrays.toString(t));
      float[] dy = Rand.floats(rnd, y.length);
      float[] dx = new float[x.length];
      float[] dw = new float[w.length];
      float[] db = new float[cout];
      ConvTranspose2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g);
      ConvTranspose2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g);
      ConvTranspose2dKernels.backwardBias(dy, 0, db, 0, g);
      GradCheck.check("convT dx", xs -> runT(g, xs, w, b), x, dy, dx, 1e-3);
      GradCheck.check("convT dw", ws -> runT(g, x, ws, b), w, dy, dw, 1e-3);
      GradCheck.check("convT db", bs -> runT(g, x, w, bs), b, dy, db, 1e-3);
    }
    assertThrows(IllegalArgumentException.class, () -> ConvTranspose2dKernels.geom(1, 2, 4, 4, 2, 3, 3, 2, 1, 1, 2, 1));
  }

  private static float[] runT(ConvGeom g, float[] x, float[] w, float[] b) {
    float[] y = new float[g.inputSize()];
    ConvTranspose2dKernels.forward(x, 0, w, 0, b, 0, y, 0, g);
    return y;
  }

  @Test
  void fftPathGivesTheDirectPathsResults() {
    for (ConvGeom g : new ConvGeom[] {
        ConvGeom.of(2, 3, 12, 10, 4, 7, 7, 1, 3, 1, 1),
        ConvGeom.same(1, 2, 9, 16, 3, 11, 11, 1, 1, 1),
        ConvGeom.of(3, 2, 8, 8, 2, 5, 3, 1, 0, 1, 1)}) {
      float[] x = Rand.floats(rnd, g.inputSize());
      float[] w = Rand.floats(rnd, g.weightSize());
      float[] b = Rand.floats(rnd, g.k());
      float[] dy = Rand.floats(rnd, g.outputSize());
      float[] y = new float[g.outputSize()];
      float[] ref = new float[g.outputSize()];
      FftConv2d.forward(x, 0, w, 0, b, 0, y, 0, g);
      Conv2dNaive.forward(x, 0, w, 0, b, 0, ref, 0, g);
      Rand.assertClose(ref, y, 1e-4, "fft forward " + g);
      float[] dx = new float[x.length];
      float[] dxRef = new float[x.length];
      FftConv2d.backwardInput(dy, 0, w, 0, dx, 0, g);
      Conv2dNaive.backwardInput(dy, 0, w, 0, dxRef, 0, g);
      Rand.assertClose(dxRef, dx, 1e-4, "fft backwardInput " + g);
      float[] dw = Rand.floats(rnd, w.length);
      float[] dwRef = dw.clone();
      FftConv2d.backwardWeights(x, 0, dy, 0, dw, 0, g);
      Conv2dNaive.backwardWeights(x, 0, dy, 0, dwRef, 0, g);
      Rand.assertClose(dwRef, dw, 1e-4, "fft backwardWeights " + g);
    }
    ConvGeom strided = ConvGeom.of(1, 1, 8, 8, 1, 3, 3, 2, 1, 1, 1);
    assertThrows(IllegalArgumentException.class, () -> FftConv2d.forward(new float[64], 0, new float[9], 0, null, 0,
        new float[16], 0, strided));
  }
}
