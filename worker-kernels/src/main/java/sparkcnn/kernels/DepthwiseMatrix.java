package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution of planes of exactly one vector: one channel's convolution is a small dense matrix from
 * its input plane to its output plane (4x4 planes with AVX-512's 16 lanes), entry (q, p) the weight of the tap
 * that links output position q to input position p, zero where none does. Forward, where the output plane is one
 * vector, is that matrix's columns times each input float broadcast to every lane (the "columns" form); backward
 * data, where the input plane is one vector, its rows times each dy float (the "rows" form), which is the
 * transpose's columns; the weight gradient accumulates the matrix's columns (dy's plane times each input float)
 * or rows (x's plane times each dy float) over the images, then adds each entry into the weight of its tap.
 *
 * <p>Why: a vector FMA per column or row does the work of every tap that links it, and nothing is permuted. On
 * 4x4 planes under a 5x5 filter (EfficientNet's late stages at 64x64), 16 columns do the 25 taps' work; the
 * rotations of {@link DepthwiseShifts} need 15 permutations there, each of which Java 17's Vector API re-checks.
 * A 4x4 plane going to 2x2 at stride 2 has four rows, so its backward passes take four FMAs per plane. Columns
 * or rows before the first or past the last that a tap links (all padding) are skipped. Each channel's matrix is
 * built just before its sweep over all the images, as the filter's floats at precomputed lane positions.
 *
 * <p>Where a plane is a fraction of a vector (2x2 with 16 lanes), G channels side by side fill it, as they lie in
 * memory, and the G channels' matrices make one block-diagonal matrix: its columns are the G channels' whole input
 * planes in turn (G times the plane's floats, consecutive in memory), each column zero outside its channel's lanes.
 * Forward from 4x4 to 2x2 at stride 2 that is 64 FMAs per vector of four channels' outputs, against the gathers
 * and scatters of {@link DepthwiseLanes}. A narrower vector per plane instead would be a second vector shape, whose
 * type profiles make C2 box other kernels' vectors (see {@link LanePairs#evensLow}).
 *
 * <p>An entry that no tap links multiplies its float by zero: exact for finite inputs; a NaN or an infinite input
 * (or dy) within the swept span makes the outputs of its plane NaN that the direct sum never reads it into (at
 * stride 2, even a float no output reads at all), and over groups of channels the outputs of its group's other
 * channels too, as with the shifts.
 */
final class DepthwiseMatrix {
  /** Images per sweep of a column or row: eight independent sums share each load of the matrix's vector. */
  private static final int IMAGES = 8;

  private DepthwiseMatrix() {}

  /**
   * Depthwise with the Vector API, and the plane the pass's vectors hold is one vector or a whole fraction of one
   * that the channels fill in whole groups ({@link #channelsPerVector}): forward the output plane, backward data
   * the input plane; the weight gradient where either plane is exactly one vector.
   */
  static boolean applies(ConvGeom g, ConvAlgorithm.Pass pass) {
    if (!Simd.AVAILABLE || !g.isDepthwise()) {
      return false;
    }
    return switch (pass) {
      case FORWARD -> channelsPerVector(g.p() * g.q(), g.c()) > 0;
      case BACKWARD_DATA -> channelsPerVector(g.h() * g.w(), g.c()) > 0;
      case BACKWARD_WEIGHTS -> outputPlaneIsAVector(g) || inputPlaneIsAVector(g);
    };
  }

  /**
   * How many channels' planes of the given size fill one vector side by side (1 for a plane of a vector), or 0
   * where they do not fill it exactly or the channels do not split into such groups.
   */
  static int channelsPerVector(int plane, int channels) {
    return plane > 0 && Simd.LANES % plane == 0 && channels % (Simd.LANES / plane) == 0 ? Simd.LANES / plane : 0;
  }

  private static boolean outputPlaneIsAVector(ConvGeom g) {
    return g.p() * g.q() == Simd.LANES;
  }

  private static boolean inputPlaneIsAVector(ConvGeom g) {
    return g.h() * g.w() == Simd.LANES;
  }

  /**
   * Whether the heuristic takes it: with 16 lanes (the only width measured), forward and backward data where they
   * sweep at most four vectors' worth of columns or rows (64: an 8x8 input onto a 4x4 output), the weight gradient
   * where it sweeps at most a vector's lanes of them. Measured on one AMD EPYC (Zen 4) thread, batch 32-64,
   * GFLOP/s of the direct convolution's multiply-adds, forward / backward data / weights, against the kernel the
   * heuristic took before: 5x5 on 4x4 planes 72-76 / 66-76 / 75-79 against 21-22 / 22-23 / 18 (shifts); 3x3 on
   * 4x4 21-29 / 25-27 / 18-30 against 16 / 17 / 12 (shifts); 5x5 from 4x4 to 2x2 at stride 2, backward data /
   * weights 44-45 / 45-48 against 7-9 (lanes); onto 4x4 planes at stride 2 from 8x8, forward 3x3 7-9 against 5
   * and 5x5 20-24 against 9 (lanes), but the weight gradient's 64 columns lost there (3x3: 3.8 against 5.5).
   *
   * <p>Forward onto planes several to a vector (a group of channels a matrix), only at batch 32 and more and where
   * the shifts do not apply (they took 2x2 planes at stride 1: 32-44 against 20-24 GFLOP/s for 3x3 on 960 channels
   * at batch 64). Each group's matrix is built for all the images, so small batches lose: from 4x4 to 2x2 at stride
   * 2 on 672 channels, 5x5, batch 64 / 32 / 16 / 1: 18-20 / 14-15 / 10 / 1 against 8-9 / 8-10 / 7-9 / 3
   * (lanes); 3x3 on 576 channels, batch 128 / 64 / 32 / 16: 8 / 6-7 / 5.3 / 3.6 against 4-5 / 4-5 / 4-5 / 4.5, and
   * 96 channels at batch 8 2.1 against 4. Like the one-channel sweeps, no more than four vectors' worth of
   * columns (the groups' whole input planes): larger ones were not measured.
   */
  static boolean pays(ConvGeom g, ConvAlgorithm.Pass pass) {
    if (Simd.LANES < 16 || !applies(g, pass)) {
      return false;
    }
    Links links = new Links(g);
    return switch (pass) {
      case FORWARD -> {
        int group = channelsPerVector(g.p() * g.q(), g.c());
        yield group * links.swept(true, group).length <= 4 * Simd.LANES
            && (group == 1 || g.n() >= 32 && !DepthwiseShifts.applies(g));
      }
      case BACKWARD_DATA -> channelsPerVector(g.h() * g.w(), g.c()) == 1 && links.rows.length <= 4 * Simd.LANES;
      case BACKWARD_WEIGHTS -> (links.byColumns(g) ? links.columns.length : links.rows.length) <= Simd.LANES;
    };
  }

  /**
   * y = act(depthwise(x, w) + b), overwriting y (b may be null). Channels (groups of channels whose output planes
   * fill a vector side by side) in parallel.
   */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, Activations.Fn act, float[] y,
      int yOff, ConvGeom g) {
    Links links = new Links(g);
    int group = channelsPerVector(g.p() * g.q(), g.c());
    int[] entries = links.swept(true, group);
    int[] taps = links.tapsOf(entries, true, g.r() * g.s(), group);
    int l = Simd.LANES;
    Parallel.forRange(g.c() / group, (lo, hi, t) -> {
      sweepChannels(x, xOff + Links.first(entries), g.h() * g.w(), taps, entries.length * group, group, w, wOff, b,
          bOff, y, yOff, g, lo, hi);
      if (act != Activations.Fn.NONE) {
        for (int i = 0; i < g.n(); i++) {
          act.apply(y, yOff + i * g.c() * g.p() * g.q() + lo * l, (hi - lo) * l);
        }
      }
    });
  }

  /** dx = the adjoint of forward applied to dy, overwriting dx: the matrices' rows times dy's floats. */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    Links links = new Links(g);
    int group = channelsPerVector(g.h() * g.w(), g.c());
    int[] entries = links.swept(false, group);
    int[] taps = links.tapsOf(entries, false, g.r() * g.s(), group);
    Parallel.forRange(g.c() / group, (lo, hi, t) -> sweepChannels(dy, dyOff + Links.first(entries), g.p() * g.q(),
        taps, entries.length * group, group, w, wOff, null, 0, dx, dxOff, g, lo, hi));
  }

  /**
   * For the groups of channels [lo, hi) (group channels each, their destination planes one vector side by side):
   * each destination vector = each lane's channel's bias (none when b is null) + the sum over the group's matrix's
   * entries (columns or rows, laid out as taps says) of the entry's vector times the source float there
   * (src[srcAt + the group's first plane + entry]: the group's source planes are consecutive). Group by group, its
   * matrix built once for all the images (blocks of channels, each image's planes of a block read as one run,
   * measured slower: 38 against 45 GFLOP/s on the stride-2 backward data).
   */
  private static void sweepChannels(float[] src, int srcAt, int srcPlane, int[] taps, int count, int group,
      float[] w, int wOff, float[] b, int bOff, float[] dst, int dstOff, ConvGeom g, int lo, int hi) {
    int l = Simd.LANES;
    int dstPlane = l / group;
    int filter = g.r() * g.s();
    float[] m = new float[taps.length];
    float[] padded = new float[group * filter + 1];
    float[] bias = new float[l];
    for (int cg = lo; cg < hi; cg++) {
      int c = cg * group;
      Vec.matrix(w, wOff + c * filter, taps, padded, m);
      for (int lane = 0; lane < l; lane++) {
        bias[lane] = b == null ? 0f : b[bOff + c + lane / dstPlane];
      }
      Vec.sweep(src, srcAt + c * srcPlane, g.c() * srcPlane, m, count, bias, dst, dstOff + c * dstPlane,
          g.c() * dstPlane, g.n());
    }
  }

  /**
   * dw += dL/dw: per channel, the sum over the images of the matrix's columns (or rows, whichever are fewer) as
   * dy's plane times x's floats (x's plane times dy's floats), each entry then added into its tap's weight.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Links links = new Links(g);
    boolean byColumns = links.byColumns(g);
    int[] entries = byColumns ? links.columns : links.rows;
    int filter = g.r() * g.s();
    // The entries' floats tap by tap: tap t's are order[start[t] .. start[t + 1]), so each tap's sum is one run of
    // loads into a register (adding each float into its tap's slot in memory chained every add through the store
    // before it: a third of the pass's time).
    int[] taps = links.tapsOf(entries, byColumns, filter, 1);
    int[] start = new int[filter + 2];
    for (int tap : taps) {
      start[tap + 1]++;
    }
    for (int tap = 1; tap < start.length; tap++) {
      start[tap] += start[tap - 1];
    }
    int[] next = start.clone();
    int[] order = new int[taps.length];
    for (int k = 0; k < taps.length; k++) {
      order[next[taps[k]]++] = k;
    }
    int in = g.h() * g.w();
    int out = g.p() * g.q();
    int l = Simd.LANES;
    Parallel.forRange(g.c(), (lo, hi, t) -> {
      float[] acc = new float[entries.length * l];
      for (int c = lo; c < hi; c++) {
        if (byColumns) {
          Vec.dots(dy, dyOff + c * l, g.c() * l, x, xOff + c * in + Links.first(entries), g.c() * in,
              entries.length, acc, g.n());
        } else {
          Vec.dots(x, xOff + c * l, g.c() * l, dy, dyOff + c * out + Links.first(entries), g.c() * out,
              entries.length, acc, g.n());
        }
        for (int tap = 0; tap < filter; tap++) {
          float sum = 0f;
          for (int k = start[tap]; k < start[tap + 1]; k++) {
            sum += acc[order[k]];
          }
          dw[dwOff + c * filter + tap] += sum;
        }
      }
    });
  }

  /** Which filter tap links each output position to each input position, and the columns and rows any tap links. */
  private static final class Links {
    private final int inputs;
    private final int outputs;
    /** [q * inputs + p]: the tap (a s + b) linking output q to input p, or -1. */
    private final int[] taps;
    /** Input positions from the first some output reads to the last. */
    final int[] columns;
    /** Output positions from the first that reads some input (not all padding) to the last. */
    final int[] rows;

    Links(ConvGeom g) {
      inputs = g.h() * g.w();
      outputs = g.p() * g.q();
      taps = new int[outputs * inputs];
      java.util.Arrays.fill(taps, -1);
      boolean[] read = new boolean[inputs];
      boolean[] reads = new boolean[outputs];
      for (int i = 0; i < g.p(); i++) {
        for (int j = 0; j < g.q(); j++) {
          int q = i * g.q() + j;
          for (int a = 0; a < g.r(); a++) {
            int u = i * g.strideH() - g.padTop() + a * g.dilationH();
            for (int b = 0; b < g.s(); b++) {
              int v = j * g.strideW() - g.padLeft() + b * g.dilationW();
              if (u >= 0 && u < g.h() && v >= 0 && v < g.w()) {
                taps[q * inputs + u * g.w() + v] = a * g.s() + b;
                read[u * g.w() + v] = true;
                reads[q] = true;
              }
            }
          }
        }
      }
      columns = spanOf(read);
      rows = spanOf(reads);
    }

    /** A span's first index, 0 for an empty span (every tap in the padding: nothing to sweep). */
    static int first(int[] span) {
      return span.length == 0 ? 0 : span[0];
    }

    /**
     * From the first set index to the last (none when none is set): one range, so the sweeps index their floats
     * without indirection.
     */
    private static int[] spanOf(boolean[] set) {
      int first = 0;
      while (first < set.length && !set[first]) {
        first++;
      }
      int last = set.length - 1;
      while (last > first && !set[last]) {
        last--;
      }
      return java.util.stream.IntStream.rangeClosed(first, last).toArray();
    }

    int tap(int q, int p) {
      return taps[q * inputs + p];
    }

    /** The weight gradient sweeps columns where the output plane is a vector and they are no more than the rows. */
    boolean byColumns(ConvGeom g) {
      return outputPlaneIsAVector(g) && (!inputPlaneIsAVector(g) || columns.length <= rows.length);
    }

    /**
     * The given columns (each a vector over the output positions) or rows (each over the input positions) of the
     * matrix as the filter tap of each of their lanes, for group channels side by side: entry e of channel k is
     * vector k n + e, its lanes of channel k (lane / plane = k) the tap k r s + (a s + b), every other lane and
     * each lane no tap links group r s (one past the group's filters, a zero).
     */
    int[] tapsOf(int[] entries, boolean byColumns, int filter, int group) {
      int l = Simd.LANES;
      int plane = l / group;
      int n = entries.length;
      int[] at = new int[group * n * l];
      for (int k = 0; k < group; k++) {
        for (int e = 0; e < n; e++) {
          for (int lane = 0; lane < l; lane++) {
            int tap = lane / plane != k ? -1
                : byColumns ? tap(lane % plane, entries[e]) : tap(entries[e], lane % plane);
            at[(k * n + e) * l + lane] = tap >= 0 ? k * filter + tap : group * filter;
          }
        }
      }
      return at;
    }

    /**
     * The columns (or rows) a sweep takes per channel: for one channel a vector, the span any tap links; for a group
     * of channels, every input (output) position, so that the group's entries are its planes one after the other.
     */
    int[] swept(boolean byColumns, int group) {
      if (group == 1) {
        return byColumns ? columns : rows;
      }
      return java.util.stream.IntStream.range(0, byColumns ? inputs : outputs).toArray();
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * One group's matrix (its channels' filters from w[wc ..]) as {@link Links#tapsOf} lays it out, into m: the
     * filters are first copied into filter (one float longer than them, its last float zero), then gathered a vector
     * of entries at a time. Float by float the build took a third of the forward's samples on 4x4 planes under a
     * 5x5 filter (perf, 64 channels, one Intel Xeon thread); gathered, that forward ran 61-62 GFLOP/s against 53-56
     * at 672 channels, batch 64 (alternating JVMs), and 84-96 against 68-78 at 64 channels.
     */
    static void matrix(float[] w, int wc, int[] taps, float[] filter, float[] m) {
      System.arraycopy(w, wc, filter, 0, filter.length - 1);
      int l = S.length();
      for (int k = 0; k < taps.length; k += l) {
        FloatVector.fromArray(S, filter, 0, taps, k).intoArray(m, k);
      }
    }

    /**
     * For images i in [0, n): dst's vector at dstAt + i dstImage = bias + the sum over e in [0, count) of m's
     * vector e times src[srcAt + i srcImage + e] broadcast. Images {@link #IMAGES} at a time,
     * sharing the loads of m's vectors.
     */
    static void sweep(float[] src, int srcAt, int srcImage, float[] m, int count, float[] bias, float[] dst,
        int dstAt, int dstImage, int n) {
      int l = S.length();
      FloatVector b = FloatVector.fromArray(S, bias, 0);
      int i = 0;
      for (; i + IMAGES <= n; i += IMAGES) {
        int s0 = srcAt + i * srcImage;
        int s1 = s0 + srcImage;
        int s2 = s1 + srcImage;
        int s3 = s2 + srcImage;
        int s4 = s3 + srcImage;
        int s5 = s4 + srcImage;
        int s6 = s5 + srcImage;
        int s7 = s6 + srcImage;
        FloatVector a0 = b;
        FloatVector a1 = b;
        FloatVector a2 = b;
        FloatVector a3 = b;
        FloatVector a4 = b;
        FloatVector a5 = b;
        FloatVector a6 = b;
        FloatVector a7 = b;
        for (int e = 0; e < count; e++) {
          FloatVector v = FloatVector.fromArray(S, m, e * l);
          a0 = v.fma(FloatVector.broadcast(S, src[s0 + e]), a0);
          a1 = v.fma(FloatVector.broadcast(S, src[s1 + e]), a1);
          a2 = v.fma(FloatVector.broadcast(S, src[s2 + e]), a2);
          a3 = v.fma(FloatVector.broadcast(S, src[s3 + e]), a3);
          a4 = v.fma(FloatVector.broadcast(S, src[s4 + e]), a4);
          a5 = v.fma(FloatVector.broadcast(S, src[s5 + e]), a5);
          a6 = v.fma(FloatVector.broadcast(S, src[s6 + e]), a6);
          a7 = v.fma(FloatVector.broadcast(S, src[s7 + e]), a7);
        }
        int d = dstAt + i * dstImage;
        a0.intoArray(dst, d);
        a1.intoArray(dst, d + dstImage);
        a2.intoArray(dst, d + 2 * dstImage);
        a3.intoArray(dst, d + 3 * dstImage);
        a4.intoArray(dst, d + 4 * dstImage);
        a5.intoArray(dst, d + 5 * dstImage);
        a6.intoArray(dst, d + 6 * dstImage);
        a7.intoArray(dst, d + 7 * dstImage);
      }
      for (; i < n; i++) {
        int s0 = srcAt + i * srcImage;
        FloatVector a0 = b;
        for (int e = 0; e < count; e++) {
          a0 = FloatVector.fromArray(S, m, e * l).fma(FloatVector.broadcast(S, src[s0 + e]), a0);
        }
        a0.intoArray(dst, dstAt + i * dstImage);
      }
    }

    /**
     * acc's vector e = the sum over images i in [0, n) of planes' vector at planeAt + i planeImage times
     * floats[floatAt + i floatImage + e] broadcast, for e in [0, count): eight entries per sweep over the images
     * (then four), their sums in registers: eight independent chains of FMAs (measured 68 against 53 GFLOP/s with
     * four on 4x4 planes; even and odd images apart for the last four measured slower, 45 against 52).
     */
    static void dots(float[] planes, int planeAt, int planeImage, float[] floats, int floatAt, int floatImage,
        int count, float[] acc, int n) {
      int l = S.length();
      int e = 0;
      for (; e + 8 <= count; e += 8) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        FloatVector a4 = FloatVector.zero(S);
        FloatVector a5 = FloatVector.zero(S);
        FloatVector a6 = FloatVector.zero(S);
        FloatVector a7 = FloatVector.zero(S);
        for (int i = 0; i < n; i++) {
          FloatVector v = FloatVector.fromArray(S, planes, planeAt + i * planeImage);
          int f = floatAt + i * floatImage + e;
          a0 = v.fma(FloatVector.broadcast(S, floats[f]), a0);
          a1 = v.fma(FloatVector.broadcast(S, floats[f + 1]), a1);
          a2 = v.fma(FloatVector.broadcast(S, floats[f + 2]), a2);
          a3 = v.fma(FloatVector.broadcast(S, floats[f + 3]), a3);
          a4 = v.fma(FloatVector.broadcast(S, floats[f + 4]), a4);
          a5 = v.fma(FloatVector.broadcast(S, floats[f + 5]), a5);
          a6 = v.fma(FloatVector.broadcast(S, floats[f + 6]), a6);
          a7 = v.fma(FloatVector.broadcast(S, floats[f + 7]), a7);
        }
        a0.intoArray(acc, e * l);
        a1.intoArray(acc, (e + 1) * l);
        a2.intoArray(acc, (e + 2) * l);
        a3.intoArray(acc, (e + 3) * l);
        a4.intoArray(acc, (e + 4) * l);
        a5.intoArray(acc, (e + 5) * l);
        a6.intoArray(acc, (e + 6) * l);
        a7.intoArray(acc, (e + 7) * l);
      }
      for (; e + 4 <= count; e += 4) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        for (int i = 0; i < n; i++) {
          FloatVector v = FloatVector.fromArray(S, planes, planeAt + i * planeImage);
          int f = floatAt + i * floatImage + e;
          a0 = v.fma(FloatVector.broadcast(S, floats[f]), a0);
          a1 = v.fma(FloatVector.broadcast(S, floats[f + 1]), a1);
          a2 = v.fma(FloatVector.broadcast(S, floats[f + 2]), a2);
          a3 = v.fma(FloatVector.broadcast(S, floats[f + 3]), a3);
        }
        a0.intoArray(acc, e * l);
        a1.intoArray(acc, (e + 1) * l);
        a2.intoArray(acc, (e + 2) * l);
        a3.intoArray(acc, (e + 3) * l);
      }
      for (; e < count; e++) {
        FloatVector a0 = FloatVector.zero(S);
        for (int i = 0; i < n; i++) {
          a0 = FloatVector.fromArray(S, planes, planeAt + i * planeImage)
              .fma(FloatVector.broadcast(S, floats[floatAt + i * floatImage + e]), a0);
        }
        a0.intoArray(acc, e * l);
      }
    }
  }
}
