package sparkcnn.kernels;

/**
 * Element-wise add and multiply with NumPy broadcasting: shapes are aligned on the right and a dimension of 1
 * stretches to the other's size. y has the broadcast shape and is overwritten. Backward reduces dy back to each
 * operand's shape (summing over stretched dimensions) and overwrites da and db. Squeeze-and-excitation gates
 * x (N, C, H, W) by s (N, C, 1, 1) through {@link #multiply}.
 */
public final class Broadcast {
  private Broadcast() {}

  /** The broadcast shape of a and b, or an error naming both. */
  public static int[] shape(int[] a, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
      int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException("broadcast: shapes " + Shape.show(a) + " and " + Shape.show(b)
            + " differ in dimension " + i + " (" + da + " vs " + db + ") and neither is 1");
      }
      out[i] = Math.max(da, db);
    }
    return out;
  }

  public static void add(float[] a, int aOff, int[] aShape, float[] b, int bOff, int[] bShape, float[] y, int yOff) {
    apply(a, aOff, aShape, b, bOff, bShape, y, yOff, false);
  }

  public static void multiply(float[] a, int aOff, int[] aShape, float[] b, int bOff, int[] bShape, float[] y,
      int yOff) {
    apply(a, aOff, aShape, b, bOff, bShape, y, yOff, true);
  }

  /** da = reduce(dy), db = reduce(dy) to each operand's shape (either may be null to skip it). */
  public static void addBackward(float[] dy, int dyOff, int[] aShape, int[] bShape, float[] da, int daOff,
      float[] db, int dbOff) {
    int[] out = shape(aShape, bShape);
    if (da != null) {
      reduce(dy, dyOff, null, 0, null, out, da, daOff, aShape);
    }
    if (db != null) {
      reduce(dy, dyOff, null, 0, null, out, db, dbOff, bShape);
    }
  }

  /** da = reduce(dy b), db = reduce(dy a) (either may be null to skip it). */
  public static void multiplyBackward(float[] dy, int dyOff, float[] a, int aOff, int[] aShape, float[] b, int bOff,
      int[] bShape, float[] da, int daOff, float[] db, int dbOff) {
    int[] out = shape(aShape, bShape);
    if (da != null) {
      reduce(dy, dyOff, b, bOff, bShape, out, da, daOff, aShape);
    }
    if (db != null) {
      reduce(dy, dyOff, a, aOff, aShape, out, db, dbOff, bShape);
    }
  }

  /** Strides of shape s aligned to out's rank, 0 where s is stretched. */
  private static int[] strides(int[] s, int[] out) {
    int[] st = new int[out.length];
    int stride = 1;
    for (int i = out.length - 1; i >= 0; i--) {
      int j = i - (out.length - s.length);
      int d = j < 0 ? 1 : s[j];
      st[i] = d == 1 ? 0 : stride;
      stride *= d;
    }
    return st;
  }

  private static void apply(float[] a, int aOff, int[] aShape, float[] b, int bOff, int[] bShape, float[] y, int yOff,
      boolean multiply) {
    int[] out = shape(aShape, bShape);
    ConvGeom.operand("broadcast", "a", aShape, a, aOff);
    ConvGeom.operand("broadcast", "b", bShape, b, bOff);
    ConvGeom.operand("broadcast", "y", out, y, yOff);
    int[] sa = strides(aShape, out);
    int[] sb = strides(bShape, out);
    int last = out.length - 1;
    int inner = out.length == 0 ? 1 : out[last];
    int ia = out.length == 0 ? 0 : sa[last];
    int ib = out.length == 0 ? 0 : sb[last];
    int[] idx = new int[out.length];
    int outer = Shape.size(out) / Math.max(1, inner);
    int yo = yOff;
    for (int o = 0; o < outer; o++) {
      int pa = aOff;
      int pb = bOff;
      for (int d = 0; d < last; d++) {
        pa += idx[d] * sa[d];
        pb += idx[d] * sb[d];
      }
      if (multiply) {
        for (int j = 0; j < inner; j++) {
          y[yo + j] = a[pa + j * ia] * b[pb + j * ib];
        }
      } else {
        for (int j = 0; j < inner; j++) {
          y[yo + j] = a[pa + j * ia] + b[pb + j * ib];
        }
      }
      yo += inner;
      advance(idx, out, last);
    }
  }

  /** dst (shape dstShape, overwritten) = sum over the stretched dims of dy (times other, if given). */
  private static void reduce(float[] dy, int dyOff, float[] other, int oOff, int[] oShape, int[] out,
      float[] dst, int dstOff, int[] dstShape) {
    java.util.Arrays.fill(dst, dstOff, dstOff + Shape.size(dstShape), 0f);
    int[] sd = strides(dstShape, out);
    int[] so = other == null ? null : strides(oShape, out);
    int[] idx = new int[out.length];
    int total = Shape.size(out);
    for (int i = 0; i < total; i++) {
      int pd = dstOff;
      int po = oOff;
      for (int d = 0; d < out.length; d++) {
        pd += idx[d] * sd[d];
        if (so != null) {
          po += idx[d] * so[d];
        }
      }
      dst[pd] += other == null ? dy[dyOff + i] : dy[dyOff + i] * other[po];
      advance(idx, out, out.length);
    }
  }

  /** Odometer increment of idx over dims [0, upTo). */
  private static void advance(int[] idx, int[] shape, int upTo) {
    for (int d = upTo - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        return;
      }
      idx[d] = 0;
    }
  }
}
