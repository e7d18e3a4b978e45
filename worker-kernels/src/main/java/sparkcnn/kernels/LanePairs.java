package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The even or odd lanes of two consecutive vectors (a then b), as one vector: the stride-2 split that strided
 * frames and the 2x2 max pool are made of. Two one-vector rearranges and a blend: JDK 17 does not compile the
 * two-vector rearrange to vector code (it ran in AbstractShuffle.wrapAndRebuild, measured in the depthwise frames
 * and again in the max pool, where it took nine tenths of the pool's time). And the way back for one half: each lane
 * into a pair ({@link #pairedLow}, the stride-2 depthwise weight gradient's dy). Only loaded when {@link
 * Simd#AVAILABLE}.
 */
final class LanePairs {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

  /** Lane i takes lane 2i mod L (ODD: 2i + 1): a vector's even lanes into its low half, and again into its high. */
  private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i % S.length());
  private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> (2 * i + 1) % S.length());
  /** Lane i takes lane i / 2: the low half's lanes, each into a pair. */
  private static final VectorShuffle<Float> PAIRED = VectorShuffle.fromOp(S, i -> i / 2);
  /** The high half's lanes, which take b's. */
  private static final VectorMask<Float> HIGH = IntVector.zero(I).addIndex(1).compare(VectorOperators.GE, S.length() / 2)
      .cast(S);

  private LanePairs() {}

  /**
   * a's even lanes in the low half, zeros in the high: each 64-bit pair narrowed to its low float, no rearrange (Java
   * 17 checks a shuffle's indexes on every call). The result keeps the vector's shape: a half-width vector type in
   * the kernels' calls made the shared Vector API methods' type profiles polymorphic, and C2 then boxed the vectors
   * of other kernels compiled after (5x5 layers ran 5x slower in the same JVM).
   */
  static FloatVector evensLow(FloatVector a) {
    return ((IntVector) a.reinterpretAsLongs().convertShape(VectorOperators.L2I, I, 0)).reinterpretAsFloats();
  }

  /** a's odd lanes in the low half, zeros in the high: each 64-bit pair shifted down to its high float, narrowed. */
  static FloatVector oddsLow(FloatVector a) {
    return ((IntVector) a.reinterpretAsLongs().lanewise(VectorOperators.LSHR, 32)
        .convertShape(VectorOperators.L2I, I, 0)).reinterpretAsFloats();
  }

  /** Lanes 0, 2, 4, ... of the pair (a, b). */
  static FloatVector evens(FloatVector a, FloatVector b) {
    return a.rearrange(EVEN).blend(b.rearrange(EVEN), HIGH);
  }

  /** Lanes 1, 3, 5, ... of the pair (a, b). */
  static FloatVector odds(FloatVector a, FloatVector b) {
    return a.rearrange(ODD).blend(b.rearrange(ODD), HIGH);
  }

  /** a's low half, each lane twice: lanes 2i and 2i + 1 take a's lane i. */
  static FloatVector pairedLow(FloatVector a) {
    return a.rearrange(PAIRED);
  }
}
