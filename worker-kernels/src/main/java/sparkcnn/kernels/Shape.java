package sparkcnn.kernels;

import java.util.Arrays;

/** Helpers for shapes held as int arrays: (N, C, H, W) and friends. */
public final class Shape {
  private Shape() {}

  /** Number of elements, failing on a negative dimension. */
  public static int size(int... shape) {
    long n = 1;
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] < 0) {
        throw new IllegalArgumentException("shape " + show(shape) + ": dimension " + d + " is negative");
      }
      n *= shape[d];
    }
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("shape " + show(shape) + " has more than 2^31-1 elements");
    }
    return (int) n;
  }

  /** "(2, 3, 4)". */
  public static String show(int... shape) {
    return shape == null ? "null" : Arrays.toString(shape).replace('[', '(').replace(']', ')');
  }
}
