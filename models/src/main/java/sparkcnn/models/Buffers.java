package sparkcnn.models;

import java.util.Arrays;
import sparkcnn.kernels.Tensor;

/** Output buffers that layers reuse across steps: a new array only when the shape changes. */
public final class Buffers {
  private Buffers() {}

  /** t if it already has this shape, else a new zero tensor of it. */
  public static Tensor ensure(Tensor t, int... shape) {
    if (t != null && Arrays.equals(t.shape(), shape)) {
      return t;
    }
    return Tensor.zeros(shape);
  }
}
