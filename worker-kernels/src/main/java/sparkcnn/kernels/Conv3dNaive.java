package sparkcnn.kernels;

/** Direct 3D convolution in double: the oracle for {@link Conv3dKernels#forward}. */
public final class Conv3dNaive {
  private Conv3dNaive() {}

  public static void forward(float[] x, float[] w, float[] b, float[] y, Conv3dGeom g) {
    int o = 0;
    for (int n = 0; n < g.n(); n++) {
      for (int k = 0; k < g.k(); k++) {
        int gi = k / g.kg();
        for (int od = 0; od < g.od(); od++) {
          for (int p = 0; p < g.p(); p++) {
            for (int q = 0; q < g.q(); q++) {
              double s = b == null ? 0 : b[k];
              for (int c = 0; c < g.cg(); c++) {
                for (int kt = 0; kt < g.t(); kt++) {
                  for (int kr = 0; kr < g.r(); kr++) {
                    for (int ks = 0; ks < g.s(); ks++) {
                      int id = od * g.stride() - g.pad() + kt * g.dilation();
                      int ih = p * g.stride() - g.pad() + kr * g.dilation();
                      int iw = q * g.stride() - g.pad() + ks * g.dilation();
                      if (id >= 0 && id < g.d() && ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                        s += (double) x[(((n * g.c() + gi * g.cg() + c) * g.d() + id) * g.h() + ih) * g.w() + iw]
                            * w[(((k * g.cg() + c) * g.t() + kt) * g.r() + kr) * g.s() + ks];
                      }
                    }
                  }
                }
              }
              y[o++] = (float) s;
            }
          }
        }
      }
    }
  }
}
