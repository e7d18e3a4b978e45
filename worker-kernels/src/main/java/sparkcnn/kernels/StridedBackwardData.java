package sparkcnn.kernels;

/**
 * Backward-data of a strided convolution as one stride-1 implicit GEMM per stride phase of dx. Padded input row
 * u = a + sh i (phase a) is reached only by the taps r with r dh = a (mod sh), from output row p = i - m_r, where
 * m_r = (r dh - a) / sh; those m_r are evenly spaced (by dh / gcd(dh, sh)). So phase a's rows of dx are a stride-1
 * correlation of dy with those taps, flipped, and likewise for columns: each phase (a, b) is an ordinary
 * convolution of dy (an {@link ImplicitConv.Plan} per phase, run image by image) with a sub-kernel of the weights,
 * whose outputs are then interleaved into dx. A phase that no tap reaches (a strided 1x1's odd rows) is zero. Each
 * phase's padding must come out non-negative ({@link #supports}): its last tap must reach back to the first padded
 * row, so for an undilated kernel the padding may be at most the kernel size less the stride (3x3 stride 2:
 * padding 1; 5x5 stride 3: 2); other geometries stay with im2col.
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

  /**
   * dx (overwritten) = the adjoint of g's forward applied to dy, phase by phase; needs {@link #supports}. Image by
   * image (images in parallel when there are enough): each phase's sub-convolution of the image's dy into a
   * scratch plane set, then dx's rows merged from the phases' rows, column phases interleaved a pair of vectors at
   * a time ({@link FramedPlanes#mergeRow}). Why per image: over the whole batch each phase's output (2 MB for
   * ResNet-20's 16 -> 32 layer at batch 128) went through memory, and scattering it into dx one float at a time,
   * phase after phase, rewrote every line of dx four times: a fifth of the pass.
   */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    int sh = g.strideH();
    int sw = g.strideW();
    Axis[] rows = new Axis[sh];
    Axis[] cols = new Axis[sw];
    for (int a = 0; a < sh; a++) {
      rows[a] = rows(g, a);
    }
    for (int b = 0; b < sw; b++) {
      cols[b] = columns(g, b);
    }
    // Each phase's sub-convolution for one image, its weights packed once; null where no tap reaches the phase.
    ConvGeom[] subs = new ConvGeom[sh * sw];
    ImplicitConv.Plan[] plans = new ImplicitConv.Plan[sh * sw];
    float[][] packed = new float[sh * sw][];
    int[] outOff = new int[sh * sw + 1];
    for (int a = 0; a < sh; a++) {
      for (int b = 0; b < sw; b++) {
        int ph = a * sw + b;
        Axis r = rows[a];
        Axis c = cols[b];
        outOff[ph + 1] = outOff[ph] + g.c() * r.count * c.count;
        if (r.count == 0 || c.count == 0 || r.taps.length == 0 || c.taps.length == 0) {
          continue;
        }
        subs[ph] = new ConvGeom(1, g.k(), g.p(), g.q(), g.c(), r.taps.length, c.taps.length, 1, 1, r.padBefore,
            c.padBefore, r.padAfter, c.padAfter, r.dilation, c.dilation, g.groups());
        plans[ph] = new ImplicitConv.Plan(subs[ph]);
        packed[ph] = Conv2dKernels.packedWeights(ImplicitConv.flippedTaps(w, wOff, g, r.taps, c.taps), 0, g.c(),
            subs[ph].colRows(), g.groups(), null);
      }
    }
    int dyImage = g.k() * g.p() * g.q();
    Parallel.RangeBody body = (lo, hi, unused) -> {
      for (int i = lo; i < hi; i++) {
        // Slack for the merge's one-vector steps (rows of one to two vectors), which load a whole vector from
        // each phase row for half a vector of it: at the last phase's last row, past the phases.
        float[] out = Scratch.floats(Scratch.TRANSFORMED_OUT, outOff[sh * sw] + 2 * Simd.LANES);
        for (int ph = 0; ph < sh * sw; ph++) {
          if (subs[ph] != null) {
            plans[ph].image(dy, dyOff + i * dyImage, packed[ph], out, outOff[ph]);
          }
        }
        merge(out, outOff, subs, rows, cols, dx, dxOff + i * g.c() * g.h() * g.w(), g);
      }
    };
    if (g.n() >= Parallel.threads()) {
      Parallel.forRange(g.n(), body);
    } else {
      body.run(0, g.n(), 0);
    }
  }

  /**
   * One image's dx from its phases' outputs: phase (a, b) at out[outOff[a sw + b]] as (C, rows[a].count,
   * cols[b].count), or zeros where subs holds no sub-convolution.
   */
  private static void merge(float[] out, int[] outOff, ConvGeom[] subs, Axis[] rows, Axis[] cols, float[] dx,
      int dxImage, ConvGeom g) {
    int sh = g.strideH();
    int sw = g.strideW();
    // Two column phases that both hold outputs: interleaved by vectors. Otherwise phase by phase, float by float.
    boolean pairs = sw == 2 && cols[0].count > 0 && cols[1].count > 0;
    for (int c = 0; c < g.c(); c++) {
      for (int a = 0; a < sh; a++) {
        Axis r = rows[a];
        boolean zipped = pairs && subs[a * sw] != null && subs[a * sw + 1] != null;
        for (int i = 0; i < r.count; i++) {
          int row = dxImage + (c * g.h() + a + sh * (r.first + i) - g.padTop()) * g.w();
          if (zipped) {
            int even = outOff[a * sw] + (c * r.count + i) * cols[0].count - cols[0].first;
            int odd = outOff[a * sw + 1] + (c * r.count + i) * cols[1].count - cols[1].first;
            FramedPlanes.mergeRow(out, even, odd, g.padLeft(), g.w(), dx, row);
            continue;
          }
          for (int b = 0; b < sw; b++) {
            Axis col = cols[b];
            int ph = a * sw + b;
            int to = row + b + sw * col.first - g.padLeft();
            int src = outOff[ph] + (c * r.count + i) * col.count;
            for (int j = 0; j < col.count; j++) {
              dx[to + sw * j] = subs[ph] == null ? 0f : out[src + j];
            }
          }
        }
      }
    }
  }
}
