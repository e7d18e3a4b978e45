package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/** Random test data and a relative-tolerance comparison shared by the kernel tests. */
final class Rand {
  private Rand() {}

  static float[] floats(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return x;
  }

  /** |e - a| <= tol * (1 + max |e|) elementwise: tolerance scaled by the result's magnitude. */
  static void assertClose(float[] expected, float[] actual, double tol, String what) {
    if (expected.length != actual.length) {
      fail(what + ": length " + actual.length + ", expected " + expected.length);
    }
    double scale = 1;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= tol * scale)) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (tolerance " + tol * scale + ")");
      }
    }
  }
}
