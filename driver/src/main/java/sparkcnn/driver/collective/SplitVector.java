package sparkcnn.driver.collective;

import java.nio.FloatBuffer;

/**
 * Two flat arrays seen as one vector, first then second: a model's gradients followed by its batch statistics
 * (what is reduced), or its parameters followed by its state (what is gathered), so that one ring pass moves
 * both without copying them into one array first.
 */
public record SplitVector(float[] first, float[] second) {
  public int length() {
    return first.length + second.length;
  }

  /** Writes elements [lo, hi) into out. */
  public void copyOut(int lo, int hi, FloatBuffer out) {
    int a = Math.min(hi, first.length);
    if (lo < a) {
      out.put(first, lo, a - lo);
    }
    int b = Math.max(lo, first.length);
    if (b < hi) {
      out.put(second, b - first.length, hi - b);
    }
  }

  /** Overwrites elements [lo, hi) from in. */
  public void copyIn(FloatBuffer in, int lo, int hi) {
    int a = Math.min(hi, first.length);
    if (lo < a) {
      in.get(first, lo, a - lo);
    }
    int b = Math.max(lo, first.length);
    if (b < hi) {
      in.get(second, b - first.length, hi - b);
    }
  }

  /** Adds in's next hi - lo floats to elements [lo, hi), through scratch (at least hi - lo long). */
  public void addIn(FloatBuffer in, int lo, int hi, float[] scratch) {
    int n = hi - lo;
    in.get(scratch, 0, n);
    int a = Math.min(hi, first.length);
    for (int i = lo; i < a; i++) {
      first[i] += scratch[i - lo];
    }
    int b = Math.max(lo, first.length);
    int off = first.length;
    for (int i = b; i < hi; i++) {
      second[i - off] += scratch[i - lo];
    }
  }

}
