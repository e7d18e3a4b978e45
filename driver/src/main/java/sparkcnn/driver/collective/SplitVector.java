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

  /** Overwrites elements [lo, hi) with src[0, hi - lo). */
  public void copyFrom(float[] src, int lo, int hi) {
    int a = Math.min(hi, first.length);
    if (lo < a) {
      System.arraycopy(src, 0, first, lo, a - lo);
    }
    int b = Math.max(lo, first.length);
    if (b < hi) {
      System.arraycopy(src, b - lo, second, b - first.length, hi - b);
    }
  }

  /** Adds src[0, hi - lo) to elements [lo, hi). */
  public void addFrom(float[] src, int lo, int hi) {
    int a = Math.min(hi, first.length);
    for (int i = lo; i < a; i++) {
      first[i] += src[i - lo];
    }
    int b = Math.max(lo, first.length);
    int off = first.length;
    for (int i = b; i < hi; i++) {
      second[i - off] += src[i - lo];
    }
  }

  /** Adds o's elements [lo, hi) to this vector's (o laid out like this one: a peer's copy of the same buffers). */
  public void addFrom(SplitVector o, int lo, int hi) {
    int a = Math.min(hi, first.length);
    float[] of = o.first;
    for (int i = lo; i < a; i++) {
      first[i] += of[i];
    }
    int b = Math.max(lo, first.length);
    int off = first.length;
    float[] os = o.second;
    for (int i = b; i < hi; i++) {
      second[i - off] += os[i - off];
    }
  }

  /** Overwrites elements [lo, hi) with o's. */
  public void copyFrom(SplitVector o, int lo, int hi) {
    int a = Math.min(hi, first.length);
    if (lo < a) {
      System.arraycopy(o.first, lo, first, lo, a - lo);
    }
    int b = Math.max(lo, first.length);
    if (b < hi) {
      System.arraycopy(o.second, b - first.length, second, b - first.length, hi - b);
    }
  }
}
