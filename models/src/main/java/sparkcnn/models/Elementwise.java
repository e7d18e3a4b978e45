package sparkcnn.models;

import sparkcnn.kernels.Tensor;

/**
 * The element-wise sums where branches meet: a residual add, and the gradients of a value used twice (a
 * residual's input, concat branches, a squeeze-excite gate, a side output). Operands have the same shape.
 */
public final class Elementwise {
  private Elementwise() {}

  /** out = a + b. */
  public static void sum(Tensor a, Tensor b, Tensor out) {
    for (int i = 0, n = out.size(); i < n; i++) {
      out.data[out.offset + i] = a.data[a.offset + i] + b.data[b.offset + i];
    }
  }

  /** into += x. */
  public static void addInto(Tensor into, Tensor x) {
    for (int i = 0, n = into.size(); i < n; i++) {
      into.data[into.offset + i] += x.data[x.offset + i];
    }
  }
}
