package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The plain 2x2 stride-2 max pool, a vector of outputs at a time: two vectors of each input row are split into
 * their even and odd columns ({@link LanePairs}), and the four candidates are compared in the scalar
 * loop's order with strict greater-than, so ties and NaN resolve exactly as there. The scalar loop's compares
 * branch on the data, mispredicted about half the time on activations; this has no branch. Only loaded when
 * {@link Simd#AVAILABLE}.
 */
final class MaxPoolVectorKernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
  private static final int L = S.length();
  private static final IntVector TWICE_IOTA = IntVector.zero(I).addIndex(2);

  private MaxPoolVectorKernel() {}

  /**
   * One output row: y[yo + q] and argmax[ao + q] for q < count, from input rows top and top + w of the plane at
   * xp (argmax relative to xp). Returns the first q it left to the caller. The outputs in [count, writable) are
   * the caller's to write after this row, so the last vector may spill into them: a row narrower than a vector
   * (LeNet's and the convnet's 14 and 7) still takes one, its extra lanes' loads staying inside x.
   */
  static int row(float[] x, int xp, int top, int w, float[] y, int yo, int[] argmax, int ao, int count,
      int writable) {
    int q = 0;
    for (; q < count && q + L <= writable && xp + top + 2 * q + w + 2 * L <= x.length; q += L) {
      int at = top + 2 * q;
      FloatVector t0 = FloatVector.fromArray(S, x, xp + at);
      FloatVector t1 = FloatVector.fromArray(S, x, xp + at + L);
      FloatVector b0 = FloatVector.fromArray(S, x, xp + at + w);
      FloatVector b1 = FloatVector.fromArray(S, x, xp + at + w + L);
      IntVector where = TWICE_IOTA.add(at);
      FloatVector best = LanePairs.evens(t0, t1);
      IntVector arg = where;
      FloatVector v = LanePairs.odds(t0, t1);
      VectorMask<Float> gt = v.compare(VectorOperators.GT, best);
      best = best.blend(v, gt);
      arg = arg.blend(where.add(1), gt.cast(I));
      v = LanePairs.evens(b0, b1);
      gt = v.compare(VectorOperators.GT, best);
      best = best.blend(v, gt);
      arg = arg.blend(where.add(w), gt.cast(I));
      v = LanePairs.odds(b0, b1);
      gt = v.compare(VectorOperators.GT, best);
      best = best.blend(v, gt);
      arg = arg.blend(where.add(w + 1), gt.cast(I));
      best.intoArray(y, yo + q);
      arg.intoArray(argmax, ao + q);
    }
    return Math.min(q, count);
  }

  /**
   * One output row of the max alone (no arg-max): y[yo + q] for q < count from the input rows at top and top + w.
   * The two rows' maximum first, then the pairs': two compares a vector instead of three, and no blends. Returns
   * the first q it left to the caller; spills into [count, writable) as {@link #row} does.
   */
  static int rowMax(float[] x, int top, int w, float[] y, int yo, int count, int writable) {
    int q = 0;
    for (; q < count && q + L <= writable && top + 2 * q + w + 2 * L <= x.length; q += L) {
      int at = top + 2 * q;
      FloatVector m0 = FloatVector.fromArray(S, x, at).max(FloatVector.fromArray(S, x, at + w));
      FloatVector m1 = FloatVector.fromArray(S, x, at + L).max(FloatVector.fromArray(S, x, at + w + L));
      LanePairs.evens(m0, m1).max(LanePairs.odds(m0, m1)).intoArray(y, yo + q);
    }
    return Math.min(q, count);
  }
}
