package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution with one channel per vector lane, for small planes: a block of as many channels of an
 * image as a vector has lanes is copied into a zero-padded frame whose every position holds those channels'
 * values side by side, and each output position is a sum over the taps of whole-vector multiply-adds, a tap's
 * weights for the block's channels being one vector. Any padding, stride and dilation.
 *
 * <p>Why: the plane-at-a-time kernels ({@link DepthwisePlanes}) spend a vector on a row of 2 to 8 values and pay
 * their setup (frame, masks, partial rows) once per plane, so on the 2x2 to 8x8 planes of the efficient nets'
 * last stages they ran at 0.4 to 15 GFLOP/s on one AMD EPYC thread, their layers holding most of MobileNet-v2's
 * depthwise time at 64x64 inputs. Here every vector is full whatever the plane's size; the price is two
 * transposing copies, one float at a time, per block and pass, which the larger planes do not repay.
 */
final class DepthwiseLanes {
  /**
   * Input planes of up to this many pixels take the lanes by default (4x4), and strided ones up to {@link
   * #MAX_STRIDED_PIXELS} (8x8): measured on one AMD EPYC thread, MobileNet-v2's layers at batch 64, against the
   * planes, in forward / backward-data / weights: 2x2 7.5 / 6.4 / 6.4 GFLOP/s against 1.1 / 1.0 / 0.7, 4x4 9.4 /
   * 7.8 / 7.9 against 3.7 / 3.2 / 1.9, 4x4 at stride 2 4.5 / 3.4 / 4.3 against 0.6 / 0.6 / 0.3, 8x8 at stride 2 3.3
   * / 4.2 / 5.1 against 1.1 / 1.3 / 1.4; but 8x8 at stride 1 5.1 / 7.5 / 6.9 against 15 / 15 / 8.3, the transposing
   * gathers and scatters then costing more than the planes' setup.
   */
  static final int MAX_PIXELS = 16;
  static final int MAX_STRIDED_PIXELS = 64;

  private DepthwiseLanes() {}

  /**
   * Largest frame, in floats, a thread may hold (16 MB): the tuner times every candidate on a layer's real shape, and
   * a 1024x1024 plane's frame would be 67 MB per thread for an algorithm meant for 4x4 planes.
   */
  private static final long MAX_FRAME_FLOATS = 1L << 22;

  /** Any depthwise geometry whose padded frame stays within {@link #MAX_FRAME_FLOATS}, given the Vector API. */
  static boolean applies(ConvGeom g) {
    return Simd.AVAILABLE && g.isDepthwise() && frameFloats(g) <= MAX_FRAME_FLOATS;
  }

  /**
   * Whether the heuristic takes the lanes for a geometry they {@link #applies apply to}: small planes, where they
   * were measured faster.
   */
  static boolean pays(ConvGeom g) {
    boolean strided = g.strideH() > 1 || g.strideW() > 1;
    return (long) g.h() * g.w() <= (strided ? MAX_STRIDED_PIXELS : MAX_PIXELS);
  }

  /** The zero-padded frame's size in floats: every padded position, a vector of channels each. */
  private static long frameFloats(ConvGeom g) {
    return (long) (g.h() + g.padTop() + g.padBottom()) * (g.w() + g.padLeft() + g.padRight()) * Simd.LANES;
  }

  /** y = act(depthwise(x, w) + b), overwriting y (b may be null). Blocks (image, channels) run in parallel. */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, Activations.Fn act, float[] y,
      int yOff, ConvGeom g) {
    Layout l = new Layout(g);
    float[] wt = l.weights(w, wOff);
    float[] bt = l.bias(b, bOff);
    int pq = g.p() * g.q();
    Parallel.forRange(g.n() * l.blocks, (lo, hi, t) -> {
      float[] frame = Scratch.floats(Scratch.PADDED, l.frameSize);
      float[] out = Scratch.floats(Scratch.COLUMNS, pq * l.lanes);
      for (int task = lo; task < hi; task++) {
        int n = task / l.blocks;
        int block = task % l.blocks;
        l.toFrame(x, xOff, n, block, frame);
        Vec.forward(frame, l.outBase, l.tapOff, wt, block * l.tapSlots * l.lanes, bt, block * l.lanes, out);
        act.apply(out, 0, pq * l.lanes);
        l.fromLanes(out, pq, n, block, y, yOff);
      }
    });
  }

  /** dx = the adjoint of forward applied to dy, overwriting dx. */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    Layout l = new Layout(g);
    float[] wt = l.weights(w, wOff);
    int pq = g.p() * g.q();
    Parallel.forRange(g.n() * l.blocks, (lo, hi, t) -> {
      float[] frame = Scratch.floats(Scratch.PADDED, l.frameSize);
      float[] in = Scratch.floats(Scratch.COLUMNS, pq * l.lanes);
      for (int task = lo; task < hi; task++) {
        int n = task / l.blocks;
        int block = task % l.blocks;
        l.toLanes(dy, dyOff, pq, n, block, in);
        java.util.Arrays.fill(frame, 0, l.frameSize, 0f);
        Vec.backwardInput(in, l.outBase, l.tapOff, l.taps, wt, block * l.tapSlots * l.lanes, frame);
        l.fromFrame(frame, n, block, dx, dxOff);
      }
    });
  }

  /**
   * dw += dL/dw. Channel blocks run in parallel, each over all images; when there are fewer blocks than threads the
   * images are split too, each share summing into its own partial sums, added up afterwards.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Layout l = new Layout(g);
    int pq = g.p() * g.q();
    int perBlock = l.tapSlots * l.lanes;
    int shares = Math.max(1, Math.min(g.n(), Parallel.chunks(g.n() * l.blocks) / l.blocks));
    float[] partial = new float[shares * l.blocks * perBlock];
    Parallel.forRange(shares * l.blocks, (lo, hi, t) -> {
      float[] frame = Scratch.floats(Scratch.PADDED, l.frameSize);
      float[] in = Scratch.floats(Scratch.COLUMNS, pq * l.lanes);
      for (int task = lo; task < hi; task++) {
        int share = task / l.blocks;
        int block = task % l.blocks;
        for (int n = g.n() * share / shares; n < g.n() * (share + 1) / shares; n++) {
          l.toFrame(x, xOff, n, block, frame);
          l.toLanes(dy, dyOff, pq, n, block, in);
          Vec.backwardWeights(frame, l.outBase, l.tapOff, in, partial, task * perBlock);
        }
      }
    });
    for (int c = 0; c < g.c(); c++) {
      int at = (c / l.lanes) * perBlock + c % l.lanes;
      for (int tap = 0; tap < l.taps; tap++) {
        float sum = 0;
        for (int share = 0; share < shares; share++) {
          sum += partial[share * l.blocks * perBlock + at + tap * l.lanes];
        }
        dw[dwOff + c * l.taps + tap] += sum;
      }
    }
  }

  /** Where a block's values sit: the padded frame, tap and output offsets in it, channel blocks. */
  private static final class Layout {
    final ConvGeom g;
    final int lanes = Simd.LANES;
    final int blocks;
    final int taps;
    /**
     * Taps rounded up to even, the last one, if added, of weight zero at offset zero: the kernels take taps in
     * pairs, with no odd one to finish after the loop.
     */
    final int tapSlots;
    final int wp;
    final int frameSize;
    /** Per tap (a, b), its offset in the frame from an output's top-left input position. */
    final int[] tapOff;
    /** Per output position (i, j), its top-left input position in the frame. */
    final int[] outBase;
    /** Per lane, the offset of its channel's input plane and output plane from the block's first: gather maps. */
    final int[] inPlanes;
    final int[] outPlanes;

    Layout(ConvGeom g) {
      this.g = g;
      blocks = (g.c() + lanes - 1) / lanes;
      taps = g.r() * g.s();
      tapSlots = taps + (taps & 1);
      wp = g.w() + g.padLeft() + g.padRight();
      frameSize = (int) frameFloats(g);
      tapOff = new int[tapSlots];
      for (int a = 0; a < g.r(); a++) {
        for (int b = 0; b < g.s(); b++) {
          tapOff[a * g.s() + b] = (a * g.dilationH() * wp + b * g.dilationW()) * lanes;
        }
      }
      inPlanes = new int[lanes];
      outPlanes = new int[lanes];
      for (int lane = 0; lane < lanes; lane++) {
        inPlanes[lane] = lane * g.h() * g.w();
        outPlanes[lane] = lane * g.p() * g.q();
      }
      outBase = new int[g.p() * g.q()];
      for (int i = 0; i < g.p(); i++) {
        for (int j = 0; j < g.q(); j++) {
          outBase[i * g.q() + j] = (i * g.strideH() * wp + j * g.strideW()) * lanes;
        }
      }
    }

    /** The filter per block and tap as one vector over the block's channels, zeros past the last channel. */
    float[] weights(float[] w, int wOff) {
      float[] wt = new float[blocks * tapSlots * lanes];
      for (int c = 0; c < g.c(); c++) {
        for (int tap = 0; tap < taps; tap++) {
          wt[((c / lanes) * tapSlots + tap) * lanes + c % lanes] = w[wOff + c * taps + tap];
        }
      }
      return wt;
    }

    /** The bias per block as one vector, zeros if none. */
    float[] bias(float[] b, int bOff) {
      float[] bt = new float[blocks * lanes];
      if (b != null) {
        System.arraycopy(b, bOff, bt, 0, g.c());
      }
      return bt;
    }

    /** Image n's channels of a block into the frame, its padding and missing channels zero. */
    void toFrame(float[] x, int xOff, int n, int block, float[] frame) {
      java.util.Arrays.fill(frame, 0, frameSize, 0f);
      int c0 = block * lanes;
      int hw = g.h() * g.w();
      if (c0 + lanes <= g.c()) {
        Vec.toFrame(x, xOff + (n * g.c() + c0) * hw, inPlanes, g.h(), g.w(), (g.padTop() * wp + g.padLeft()) * lanes,
            wp * lanes, frame);
        return;
      }
      for (int lane = 0; lane < g.c() - c0; lane++) {
        int src = xOff + (n * g.c() + c0 + lane) * hw;
        for (int ih = 0; ih < g.h(); ih++) {
          int d = ((ih + g.padTop()) * wp + g.padLeft()) * lanes + lane;
          for (int iw = 0; iw < g.w(); iw++, d += lanes) {
            frame[d] = x[src + ih * g.w() + iw];
          }
        }
      }
    }

    /** The frame's interior (the input positions) back into image n's planes, overwriting them. */
    void fromFrame(float[] frame, int n, int block, float[] dx, int dxOff) {
      int c0 = block * lanes;
      int hw = g.h() * g.w();
      if (c0 + lanes <= g.c()) {
        Vec.fromFrame(frame, (g.padTop() * wp + g.padLeft()) * lanes, wp * lanes, g.h(), g.w(), inPlanes, dx,
            dxOff + (n * g.c() + c0) * hw);
        return;
      }
      for (int lane = 0; lane < g.c() - c0; lane++) {
        int dst = dxOff + (n * g.c() + c0 + lane) * hw;
        for (int ih = 0; ih < g.h(); ih++) {
          int s = ((ih + g.padTop()) * wp + g.padLeft()) * lanes + lane;
          for (int iw = 0; iw < g.w(); iw++, s += lanes) {
            dx[dst + ih * g.w() + iw] = frame[s];
          }
        }
      }
    }

    /** Image n's output-sized planes of a block side by side, missing channels zero. */
    void toLanes(float[] src, int srcOff, int pq, int n, int block, float[] dst) {
      int c0 = block * lanes;
      int valid = Math.min(lanes, g.c() - c0);
      if (valid == lanes) {
        Vec.toLanes(src, srcOff + (n * g.c() + c0) * pq, outPlanes, pq, dst);
        return;
      }
      java.util.Arrays.fill(dst, 0, pq * lanes, 0f);
      for (int lane = 0; lane < valid; lane++) {
        int s = srcOff + (n * g.c() + c0 + lane) * pq;
        for (int o = 0, d = lane; o < pq; o++, d += lanes) {
          dst[d] = src[s + o];
        }
      }
    }

    /** The inverse of {@link #toLanes}, overwriting the block's planes of image n. */
    void fromLanes(float[] src, int pq, int n, int block, float[] dst, int dstOff) {
      int c0 = block * lanes;
      if (c0 + lanes <= g.c()) {
        Vec.fromLanes(src, pq, outPlanes, dst, dstOff + (n * g.c() + c0) * pq);
        return;
      }
      for (int lane = 0; lane < g.c() - c0; lane++) {
        int d = dstOff + (n * g.c() + c0 + lane) * pq;
        for (int o = 0, s = lane; o < pq; o++, s += lanes) {
          dst[d + o] = src[s];
        }
      }
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * A full block's h x w planes (the first at src, the others at the offsets in planes) into the frame from
     * position at on, its rows rowStride apart: one gather per position.
     */
    static void toFrame(float[] src, int srcOff, int[] planes, int h, int w, int at, int rowStride, float[] frame) {
      int l = S.length();
      for (int i = 0; i < h; i++) {
        for (int j = 0, d = at + i * rowStride; j < w; j++, d += l) {
          FloatVector.fromArray(S, src, srcOff + i * w + j, planes, 0).intoArray(frame, d);
        }
      }
    }

    /** The inverse of {@link #toFrame}: one scatter per position. */
    static void fromFrame(float[] frame, int at, int rowStride, int h, int w, int[] planes, float[] dst, int dstOff) {
      int l = S.length();
      for (int i = 0; i < h; i++) {
        for (int j = 0, s = at + i * rowStride; j < w; j++, s += l) {
          FloatVector.fromArray(S, frame, s).intoArray(dst, dstOff + i * w + j, planes, 0);
        }
      }
    }

    /** A full block's planes of n values side by side: dst[o * lanes + lane] = src[srcOff + planes[lane] + o]. */
    static void toLanes(float[] src, int srcOff, int[] planes, int n, float[] dst) {
      int l = S.length();
      for (int o = 0; o < n; o++) {
        FloatVector.fromArray(S, src, srcOff + o, planes, 0).intoArray(dst, o * l);
      }
    }

    /** The inverse of {@link #toLanes}. */
    static void fromLanes(float[] src, int n, int[] planes, float[] dst, int dstOff) {
      int l = S.length();
      for (int o = 0; o < n; o++) {
        FloatVector.fromArray(S, src, o * l).intoArray(dst, dstOff + o, planes, 0);
      }
    }

    /**
     * out[o] = bias + the sum over taps of w[tap] * frame[outBase[o] + tapOff[tap]], a vector each, taps in pairs
     * (their count even). Two chains of multiply-adds per output (even and odd taps) halve the wait on the FMA
     * latency.
     */
    static void forward(float[] frame, int[] outBase, int[] tapOff, float[] wt, int wAt, float[] bt, int bAt,
        float[] out) {
      int l = S.length();
      FloatVector bias = FloatVector.fromArray(S, bt, bAt);
      for (int o = 0; o < outBase.length; o++) {
        int base = outBase[o];
        FloatVector even = bias;
        FloatVector odd = FloatVector.zero(S);
        for (int tap = 0; tap < tapOff.length; tap += 2) {
          even = FloatVector.fromArray(S, frame, base + tapOff[tap])
              .fma(FloatVector.fromArray(S, wt, wAt + tap * l), even);
          odd = FloatVector.fromArray(S, frame, base + tapOff[tap + 1])
              .fma(FloatVector.fromArray(S, wt, wAt + (tap + 1) * l), odd);
        }
        even.add(odd).intoArray(out, o * l);
      }
    }

    /** frame[outBase[o] + tapOff[tap]] += w[tap] * dy[o] for every output and tap. */
    static void backwardInput(float[] dy, int[] outBase, int[] tapOff, int taps, float[] wt, int wAt,
        float[] frame) {
      int l = S.length();
      for (int o = 0; o < outBase.length; o++) {
        FloatVector d = FloatVector.fromArray(S, dy, o * l);
        int base = outBase[o];
        for (int tap = 0; tap < taps; tap++) {
          int at = base + tapOff[tap];
          d.fma(FloatVector.fromArray(S, wt, wAt + tap * l), FloatVector.fromArray(S, frame, at))
              .intoArray(frame, at);
        }
      }
    }

    /**
     * acc[accOff + tap] += the sum over outputs of frame[outBase[o] + tapOff[tap]] * dy[o], taps in pairs (their count
     * even; an added one's sum lands in its own slot, unread): each dy vector feeds two chains.
     */
    static void backwardWeights(float[] frame, int[] outBase, int[] tapOff, float[] dy, float[] acc, int accOff) {
      int l = S.length();
      for (int tap = 0; tap < tapOff.length; tap += 2) {
        int off0 = tapOff[tap];
        int off1 = tapOff[tap + 1];
        int at = accOff + tap * l;
        FloatVector a0 = FloatVector.fromArray(S, acc, at);
        FloatVector a1 = FloatVector.fromArray(S, acc, at + l);
        for (int o = 0; o < outBase.length; o++) {
          FloatVector d = FloatVector.fromArray(S, dy, o * l);
          a0 = FloatVector.fromArray(S, frame, outBase[o] + off0).fma(d, a0);
          a1 = FloatVector.fromArray(S, frame, outBase[o] + off1).fma(d, a1);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + l);
      }
    }
  }
}
