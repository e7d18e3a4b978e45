package sparkcnn.driver.train;

import sparkcnn.kernels.Parallel;

/** A task result that partitions and treeAggregate add pairwise: this += o, reusing the left operand's arrays. */
interface Summable<T> {
  T plus(T o);

  /** a += b elementwise (a taken as is when the other is null); gradients are millions of floats: all cores. */
  static float[] add(float[] a, float[] b) {
    if (a == null) {
      return b;
    }
    if (b != null) {
      Parallel.forRange(a.length, (lo, hi, chunk) -> {
        for (int i = lo; i < hi; i++) {
          a[i] += b[i];
        }
      });
    }
    return a;
  }
}
