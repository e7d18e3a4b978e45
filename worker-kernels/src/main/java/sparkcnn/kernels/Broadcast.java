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
    int plane = gatePlane(aShape, bShape);
    if (plane > 0) {
      ConvGeom.operand("broadcast", "a", aShape, a, aOff);
      ConvGeom.operand("broadcast", "b", bShape, b, bOff);
      ConvGeom.operand("broadcast", "y", aShape, y, yOff);
      int planes = Shape.size(bShape);
      byPlanes(planes, plane, (lo, hi, t) -> {
        for (int p = lo; p < hi; p++) {
          float g = b[bOff + p];
          int o = p * plane;
          for (int j = 0; j < plane; j++) {
            y[yOff + o + j] = a[aOff + o + j] * g;
          }
        }
      });
      return;
    }
    apply(a, aOff, aShape, b, bOff, bShape, y, yOff, true);
  }

  /**
   * The plane size when b gates a plane by plane, as squeeze-and-excitation's (N, C, 1, 1) does (N, C, H, W): b's
   * shape is a's first dimensions followed by ones, at a's rank. 0 otherwise (the general broadcast).
   */
  private static int gatePlane(int[] aShape, int[] bShape) {
    if (aShape.length != bShape.length) {
      return 0;
    }
    int d = 0;
    while (d < aShape.length && aShape[d] == bShape[d]) {
      d++;
    }
    for (int i = d; i < bShape.length; i++) {
      if (bShape[i] != 1) {
        return 0;
      }
    }
    return Shape.size(aShape) / Math.max(1, Shape.size(bShape));
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
    int plane = gatePlane(aShape, bShape);
    if (plane > 0) {
      gateBackward(dy, dyOff, a, aOff, b, bOff, Shape.size(bShape), plane, da, daOff, db, dbOff);
      return;
    }
    if (da != null) {
      reduce(dy, dyOff, b, bOff, bShape, out, da, daOff, aShape);
    }
    if (db != null) {
      reduce(dy, dyOff, a, aOff, aShape, out, db, dbOff, bShape);
    }
  }

  /** Floats below which a gate's sweep stays on the calling thread (waking a worker costs more). */
  private static final int PARALLEL_FLOATS = 1 << 15;

  /**
   * The planes of a gate's sweep, in parallel when there are floats enough: the squeeze-and-excitation gate ran on
   * one thread and was 13% of the calling thread's samples in efficientnet_b0's batch-1 latency at 224 on two.
   */
  private static void byPlanes(int planes, int plane, Parallel.RangeBody body) {
    if ((long) planes * plane < PARALLEL_FLOATS) {
      body.run(0, planes, 0);
    } else {
      Parallel.forRange(planes, body);
    }
  }

  /**
   * multiplyBackward of a plane gate: da = dy b per plane, db = the dot of dy and a over each plane. With the
   * Vector API both in one sweep of each plane (the scalar loops took 4.7% of EfficientNet-B0's training step).
   */
  private static void gateBackward(float[] dy, int dyOff, float[] a, int aOff, float[] b, int bOff, int planes,
      int plane, float[] da, int daOff, float[] db, int dbOff) {
    if (Simd.AVAILABLE && db != null) {
      byPlanes(planes, plane, (lo, hi, t) -> {
        for (int p = lo; p < hi; p++) {
          int o = p * plane;
          db[dbOff + p] = ElementwiseVectorKernel.scaleAndDot(dy, dyOff + o, a, aOff + o, b[bOff + p], da,
              daOff + o, plane);
        }
      });
      return;
    }
    for (int p = 0; p < planes; p++) {
      int o = p * plane;
      if (da != null) {
        float g = b[bOff + p];
        for (int j = 0; j < plane; j++) {
          da[daOff + o + j] = dy[dyOff + o + j] * g;
        }
      }
      if (db != null) {
        // Four running sums: one would wait on each add's latency.
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int j = 0;
        for (; j + 3 < plane; j += 4) {
          s0 += dy[dyOff + o + j] * a[aOff + o + j];
          s1 += dy[dyOff + o + j + 1] * a[aOff + o + j + 1];
          s2 += dy[dyOff + o + j + 2] * a[aOff + o + j + 2];
          s3 += dy[dyOff + o + j + 3] * a[aOff + o + j + 3];
        }
        for (; j < plane; j++) {
          s0 += dy[dyOff + o + j] * a[aOff + o + j];
        }
        db[dbOff + p] = (s0 + s1) + (s2 + s3);
      }
    }
  }

  /**
   * Squeeze-and-excitation's input gradient in one sweep: dx = dy g[p] + dMean[p] / plane over each plane p, the
   * gradient through the gate's product (x g) plus the one through the global average pool the gate starts from.
   * The same floats as {@link #multiplyBackward}'s dx followed by adding the pool's backward: a product, then a
   * sum, each rounded.
   */
  public static void gateAndMeanBackward(float[] dy, int dyOff, float[] g, int gOff, float[] dMean, int dMeanOff,
      int planes, int plane, float[] dx, int dxOff) {
    for (int p = 0; p < planes; p++) {
      int o = p * plane;
      float gate = g[gOff + p];
      float mean = dMean[dMeanOff + p] / plane;
      if (Simd.AVAILABLE) {
        ElementwiseVectorKernel.scaleThenAdd(dy, dyOff + o, gate, mean, dx, dxOff + o, plane);
        continue;
      }
      for (int j = 0; j < plane; j++) {
        dx[dxOff + o + j] = dy[dyOff + o + j] * gate + mean;
      }
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
