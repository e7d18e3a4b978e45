package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two inner loops of {@link DepthwiseRows}, over rows already in L1: a weighted sum of shifted runs (an
 * output row from its taps) and running dot products (the weight gradient). Vector code when the Vector API is
 * present, the same loops in scalar code otherwise.
 */
final class DepthwiseRowMath {
  private DepthwiseRowMath() {}

  /** Floats per accumulator in {@link #dots}: the vector length, or 1 on the scalar path. */
  static int lanes() {
    return Simd.AVAILABLE ? Vec.S.length() : 1;
  }

  /**
   * dst[dstOff + j] = sum over t < nt of wts[t] * src[offs[t] + j], for j < count (zeros when nt = 0). src must
   * be readable (and finite) up to count rounded up to {@link #lanes()}; spill holds lanes() floats of scratch.
   */
  static void combine(float[] src, int[] offs, float[] wts, int nt, float[] dst, int dstOff, int count,
      float[] spill) {
    int j = Simd.AVAILABLE ? Vec.combine(src, offs, wts, nt, dst, dstOff, count, spill) : 0;
    for (; j < count; j++) {
      float sum = 0;
      for (int t = 0; t < nt; t++) {
        sum += wts[t] * src[offs[t] + j];
      }
      dst[dstOff + j] = sum;
    }
  }

  /**
   * {@link #combine} into scratch: dst must have room for count rounded up to {@link #lanes()}, and the
   * positions past count receive whatever the padded src gives there. Saves the partial last vector's spill.
   */
  static void combineWhole(float[] src, int[] offs, float[] wts, int nt, float[] dst, int dstOff, int count,
      float[] spill) {
    int lanes = lanes();
    combine(src, offs, wts, nt, dst, dstOff, (count + lanes - 1) / lanes * lanes, spill);
  }

  /**
   * acc[taps[t] * lanes() + l] += partial sums of dy[dyOff + j] * src[offs[t] + j] over j < count, for t < nt;
   * the caller adds the lanes up at the end. src as in {@link #combine}; spill holds lanes() floats of scratch.
   */
  static void dots(float[] src, int[] offs, int[] taps, int nt, float[] dy, int dyOff, int count, float[] acc,
      float[] spill) {
    int j = Simd.AVAILABLE ? Vec.dots(src, offs, taps, nt, dy, dyOff, count, acc, spill) : 0;
    if (j == count) {
      return;
    }
    int lanes = lanes();
    for (int t = 0; t < nt; t++) {
      float sum = 0;
      for (int i = j; i < count; i++) {
        sum += dy[dyOff + i] * src[offs[t] + i];
      }
      acc[taps[t] * lanes] += sum;
    }
  }

  /**
   * dst[dstOff + k] += the lanes() partial sums {@link #dots} left in acc for tap first + k, for k < taps.
   */
  static void addLanes(float[] acc, int first, int taps, float[] dst, int dstOff) {
    int lanes = lanes();
    for (int k = 0; k < taps; k++) {
      float sum = 0;
      for (int l = 0; l < lanes; l++) {
        sum += acc[(first + k) * lanes + l];
      }
      dst[dstOff + k] += sum;
    }
  }

  /** Loaded only when the Vector API is present. Both loops return the first column they left to the caller. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static int combine(float[] src, int[] offs, float[] wts, int nt, float[] dst, int dstOff, int count,
        float[] spill) {
      int l = S.length();
      int j = 0;
      // Four output vectors at once: four independent FMA chains hide the FMA latency.
      for (; j + 4 * l <= count; j += 4 * l) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int t = 0; t < nt; t++) {
          FloatVector wv = FloatVector.broadcast(S, wts[t]);
          int o = offs[t] + j;
          a0 = FloatVector.fromArray(S, src, o).fma(wv, a0);
          a1 = FloatVector.fromArray(S, src, o + l).fma(wv, a1);
          a2 = FloatVector.fromArray(S, src, o + 2 * l).fma(wv, a2);
          a3 = FloatVector.fromArray(S, src, o + 3 * l).fma(wv, a3);
        }
        a0.intoArray(dst, dstOff + j);
        a1.intoArray(dst, dstOff + j + l);
        a2.intoArray(dst, dstOff + j + 2 * l);
        a3.intoArray(dst, dstOff + j + 3 * l);
      }
      // The rest (under four vectors) two at a time, the last one partial if the row ends inside it: computed
      // whole (src is padded) and spilled. Two chains, not one: rows of 28 or 56 columns live here, and a single
      // accumulator would wait on the FMA latency at every tap.
      for (; count - j > l; ) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        for (int t = 0; t < nt; t++) {
          FloatVector wv = FloatVector.broadcast(S, wts[t]);
          int o = offs[t] + j;
          a0 = FloatVector.fromArray(S, src, o).fma(wv, a0);
          a1 = FloatVector.fromArray(S, src, o + l).fma(wv, a1);
        }
        j = store(a0, dst, dstOff, j, count, spill);
        j = store(a1, dst, dstOff, j, count, spill);
      }
      if (j < count) {
        FloatVector a = FloatVector.zero(S);
        for (int t = 0; t < nt; t++) {
          a = FloatVector.fromArray(S, src, offs[t] + j).fma(FloatVector.broadcast(S, wts[t]), a);
        }
        store(a, dst, dstOff, j, count, spill);
      }
      return count;
    }

    /** Stores the vector at column j (through spill when the row ends inside it); returns the next column. */
    private static int store(FloatVector a, float[] dst, int dstOff, int j, int count, float[] spill) {
      int l = S.length();
      if (j + l <= count) {
        a.intoArray(dst, dstOff + j);
      } else {
        a.intoArray(spill, 0);
        System.arraycopy(spill, 0, dst, dstOff + j, count - j);
      }
      return j + l;
    }

    /**
     * Taps four at a time: each dy vector is loaded once for four taps (1.25 loads per FMA instead of 2), and two
     * positions per step keep eight independent sums in flight. The one to three taps left over run alone.
     */
    static int dots(float[] src, int[] offs, int[] taps, int nt, float[] dy, int dyOff, int count, float[] acc,
        float[] spill) {
      int l = S.length();
      int end = count - count % l;
      // dy's partial last vector, zero-padded once for all taps (src is padded with zeros itself).
      java.util.Arrays.fill(spill, 0, l, 0f);
      System.arraycopy(dy, dyOff + end, spill, 0, count - end);
      FloatVector dyTail = FloatVector.fromArray(S, spill, 0);
      int t = 0;
      for (; t + 4 <= nt; t += 4) {
        dots4(src, offs[t], offs[t + 1], offs[t + 2], offs[t + 3], dy, dyOff, end, count, dyTail, acc,
            taps[t] * l, taps[t + 1] * l, taps[t + 2] * l, taps[t + 3] * l);
      }
      for (; t < nt; t++) {
        int o = offs[t];
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        int j = 0;
        for (; j + 2 * l <= end; j += 2 * l) {
          a0 = FloatVector.fromArray(S, dy, dyOff + j).fma(FloatVector.fromArray(S, src, o + j), a0);
          a1 = FloatVector.fromArray(S, dy, dyOff + j + l).fma(FloatVector.fromArray(S, src, o + j + l), a1);
        }
        if (j < end) {
          a0 = FloatVector.fromArray(S, dy, dyOff + j).fma(FloatVector.fromArray(S, src, o + j), a0);
        }
        if (end < count) {
          a1 = dyTail.fma(FloatVector.fromArray(S, src, o + end), a1);
        }
        int at = taps[t] * l;
        FloatVector.fromArray(S, acc, at).add(a0).add(a1).intoArray(acc, at);
      }
      return count;
    }

    private static void dots4(float[] src, int o0, int o1, int o2, int o3, float[] dy, int dyOff, int end,
        int count, FloatVector dyTail, float[] acc, int at0, int at1, int at2, int at3) {
      int l = S.length();
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = s0;
      FloatVector s2 = s0;
      FloatVector s3 = s0;
      FloatVector u0 = s0;
      FloatVector u1 = s0;
      FloatVector u2 = s0;
      FloatVector u3 = s0;
      int j = 0;
      for (; j + 2 * l <= end; j += 2 * l) {
        FloatVector d = FloatVector.fromArray(S, dy, dyOff + j);
        FloatVector e = FloatVector.fromArray(S, dy, dyOff + j + l);
        s0 = FloatVector.fromArray(S, src, o0 + j).fma(d, s0);
        s1 = FloatVector.fromArray(S, src, o1 + j).fma(d, s1);
        s2 = FloatVector.fromArray(S, src, o2 + j).fma(d, s2);
        s3 = FloatVector.fromArray(S, src, o3 + j).fma(d, s3);
        u0 = FloatVector.fromArray(S, src, o0 + j + l).fma(e, u0);
        u1 = FloatVector.fromArray(S, src, o1 + j + l).fma(e, u1);
        u2 = FloatVector.fromArray(S, src, o2 + j + l).fma(e, u2);
        u3 = FloatVector.fromArray(S, src, o3 + j + l).fma(e, u3);
      }
      if (j < end) {
        FloatVector d = FloatVector.fromArray(S, dy, dyOff + j);
        s0 = FloatVector.fromArray(S, src, o0 + j).fma(d, s0);
        s1 = FloatVector.fromArray(S, src, o1 + j).fma(d, s1);
        s2 = FloatVector.fromArray(S, src, o2 + j).fma(d, s2);
        s3 = FloatVector.fromArray(S, src, o3 + j).fma(d, s3);
      }
      if (end < count) {
        u0 = FloatVector.fromArray(S, src, o0 + end).fma(dyTail, u0);
        u1 = FloatVector.fromArray(S, src, o1 + end).fma(dyTail, u1);
        u2 = FloatVector.fromArray(S, src, o2 + end).fma(dyTail, u2);
        u3 = FloatVector.fromArray(S, src, o3 + end).fma(dyTail, u3);
      }
      FloatVector.fromArray(S, acc, at0).add(s0).add(u0).intoArray(acc, at0);
      FloatVector.fromArray(S, acc, at1).add(s1).add(u1).intoArray(acc, at1);
      FloatVector.fromArray(S, acc, at2).add(s2).add(u2).intoArray(acc, at2);
      FloatVector.fromArray(S, acc, at3).add(s3).add(u3).intoArray(acc, at3);
    }
  }
}
