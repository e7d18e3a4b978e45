package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Central finite differences in double: for L(x) = sum(dy * f(x)), compares the analytic gradient at a sample
 * of coordinates with (L(x + h e_i) - L(x - h e_i)) / 2h. Coordinates within {@code kinkBand} of a
 * non-differentiable point (ReLU at 0, a max-pool tie) can be excluded by the caller's data.
 */
final class GradCheck {
  private GradCheck() {}

  /**
   * @param f forward function (must not keep state between calls)
   * @param x point of evaluation (restored after use)
   * @param dy upstream gradient
   * @param analytic dL/dx as computed by the backward kernel
   */
  static void check(String what, Function<float[], float[]> f, float[] x, float[] dy, float[] analytic, double tol) {
    SplittableRandom rnd = new SplittableRandom(what.hashCode());
    int samples = Math.min(x.length, 40);
    double h = 1e-2;
    double scale = 1e-3;
    for (float a : analytic) {
      scale = Math.max(scale, Math.abs(a));
    }
    for (int s = 0; s < samples; s++) {
      int i = samples == x.length ? s : rnd.nextInt(x.length);
      float saved = x[i];
      x[i] = (float) (saved + h);
      double up = dot(dy, f.apply(x));
      x[i] = (float) (saved - h);
      double down = dot(dy, f.apply(x));
      x[i] = saved;
      double numeric = (up - down) / (2 * h);
      if (Math.abs(numeric - analytic[i]) > tol * scale) {
        fail(what + ": d/dx[" + i + "] analytic " + analytic[i] + " numeric " + numeric + " (tolerance " + tol * scale + ")");
      }
    }
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }
}
