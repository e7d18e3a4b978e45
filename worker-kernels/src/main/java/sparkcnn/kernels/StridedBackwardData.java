package sparkcnn.kernels;

/**
 * Backward-data of a strided convolution as one stride-1 implicit GEMM per stride phase of dx. Padded input row
 * u = a + sh i (phase a) is reached only by the taps r with r dh = a (mod sh), from output row p = i - m_r, where
 * m_r = (r dh - a) / sh; those m_r are evenly spaced (by dh / gcd(dh, sh)). So phase a's rows of dx are a stride-1
 * correlation of dy with those taps, flipped, and likewise for columns: each phase (a, b) is an ordinary
 * convolution of dy ({@link ImplicitConv#forward}) with a sub-kernel of the weights, whose outputs are then
 * interleaved into dx. A phase that no tap reaches (a strided 1x1's odd rows) is zero. Each phase's padding must
 * come out non-negative ({@link #supports}): its last tap must reach back to the first padded row, so for an
 * undilated kernel the padding may be at most the kernel size less the stride (3x3 stride 2: padding 1; 5x5
 * stride 3: 2); other geometries stay with im2col.
 */
final class StridedBackwardData {
  private StridedBackwardData() {}

  /** The taps of one phase along one axis, and the stride-1 convolution that gives that phase's rows. */
  private record Axis(int[] taps, int dilation, int padBefore, int padAfter, int first, int count) {
    /**
     * Phase a of an axis with stride s, dilation d, kernel size k, padding before, input size n and output size
     * out: its taps (kernel indexes, in order), the sub-convolution's dilation and padding, and the phase rows
     * [first, first + count) that hold input pixels.
     */
    static Axis of(int a, int s, int d, int k, int before, int n, int out) {
      int[] taps = java.util.stream.IntStream.range(0, k).filter(r -> r * d % s == a).toArray();
      int first = Math.max(0, Math.floorDiv(before - a + s - 1, s));
      int count = Math.max(0, Math.floorDiv(before + n - a + s - 1, s) - first);
      if (taps.length == 0) {
        return new Axis(taps, 1, 0, 0, first, count);
      }
      int step = taps.length > 1 ? (taps[1] - taps[0]) * d / s : 1;
      int mFirst = (taps[0] * d - a) / s;
      int mLast = (taps[taps.length - 1] * d - a) / s;
      // Output row i' (phase row first + i') sums dy[first + i' - m] over the taps' m: padded by mLast - first
      // before, and after by whatever makes the sub-convolution's output count rows long.
      int padBefore = mLast - first;
      int padAfter = count - out - padBefore + (mLast - mFirst);
      return new Axis(taps, step, padBefore, padAfter, first, count);
    }

    boolean valid() {
      return taps.length == 0 || count == 0 || padBefore >= 0 && padAfter >= 0;
    }
  }

  private static Axis rows(ConvGeom g, int a) {
    return Axis.of(a, g.strideH(), g.dilationH(), g.r(), g.padTop(), g.h(), g.p());
  }

  private static Axis columns(ConvGeom g, int b) {
    return Axis.of(b, g.strideW(), g.dilationW(), g.s(), g.padLeft(), g.w(), g.q());
  }

  /** Whether every phase's sub-convolution has non-negative padding (so the phases can compute the pass). */
  static boolean supports(ConvGeom g) {
    for (int a = 0; a < g.strideH(); a++) {
      if (!rows(g, a).valid()) {
        return false;
      }
    }
    for (int b = 0; b < g.strideW(); b++) {
      if (!columns(g, b).valid()) {
        return false;
      }
    }
    return true;
  }

  /** dx (overwritten) = the adjoint of g's forward applied to dy, phase by phase; needs {@link #supports}. */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    int sh = g.strideH();
    int sw = g.strideW();
    for (int a = 0; a < sh; a++) {
      Axis rows = rows(g, a);
      for (int b = 0; b < sw; b++) {
        Axis cols = columns(g, b);
        if (rows.count == 0 || cols.count == 0) {
          continue; // no pixel of dx in this phase
        }
        if (rows.taps.length == 0 || cols.taps.length == 0) {
          scatter(null, rows, cols, a, b, dx, dxOff, g); // no tap reaches it: zeros
          continue;
        }
        ConvGeom sub = new ConvGeom(g.n(), g.k(), g.p(), g.q(), g.c(), rows.taps.length, cols.taps.length, 1, 1,
            rows.padBefore, cols.padBefore, rows.padAfter, cols.padAfter, rows.dilation, cols.dilation, g.groups());
        float[] out = Scratch.floats(Scratch.TRANSFORMED_OUT, sub.outputSize());
        ImplicitConv.forward(dy, dyOff, ImplicitConv.flippedTaps(w, wOff, g, rows.taps, cols.taps), 0, out, 0, sub);
        scatter(out, rows, cols, a, b, dx, dxOff, g);
      }
    }
  }

  /** dx's pixels of phase (a, b) = the phase's rows of out (N, C, rows.count, cols.count), or zeros if out is null. */
  private static void scatter(float[] out, Axis rows, Axis cols, int a, int b, float[] dx, int dxOff, ConvGeom g) {
    int sh = g.strideH();
    int sw = g.strideW();
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      for (int plane = lo; plane < hi; plane++) {
        int base = dxOff + plane * g.h() * g.w();
        for (int i = 0; i < rows.count; i++) {
          int row = base + (a + sh * (rows.first + i) - g.padTop()) * g.w() + b + sw * cols.first - g.padLeft();
          if (out == null) {
            for (int j = 0; j < cols.count; j++) {
              dx[row + sw * j] = 0f;
            }
            continue;
          }
          int src = (plane * rows.count + i) * cols.count;
          for (int j = 0; j < cols.count; j++) {
            dx[row + sw * j] = out[src + j];
          }
        }
      }
    });
  }
}
