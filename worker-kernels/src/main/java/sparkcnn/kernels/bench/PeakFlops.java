package sparkcnn.kernels.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import sparkcnn.kernels.Simd;

/**
 * The FP32 FMA peak of one core, measured: twelve independent FMA chains on registers (enough to cover the
 * FMA latency on both pipes), no memory traffic. Uses the same vector species as the kernels, or scalar
 * {@link Math#fma} on the scalar path, so fraction_of_peak compares like with like.
 */
final class PeakFlops {
  private PeakFlops() {}

  /** GFLOP/s of the best of several ~0.1 s runs on the calling thread. */
  static double measure() {
    double best = 0;
    for (int run = 0; run < 8; run++) {
      best = Math.max(best, Simd.AVAILABLE ? VectorChains.run(2_000_000) : scalar(4_000_000));
    }
    return best;
  }

  private static double scalar(long iters) {
    float a = 1.0000001f;
    float b = 0.9999999f;
    float c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
    long t0 = System.nanoTime();
    for (long i = 0; i < iters; i++) {
      c0 = Math.fma(c0, a, b);
      c1 = Math.fma(c1, a, b);
      c2 = Math.fma(c2, a, b);
      c3 = Math.fma(c3, a, b);
      c4 = Math.fma(c4, a, b);
      c5 = Math.fma(c5, a, b);
      c6 = Math.fma(c6, a, b);
      c7 = Math.fma(c7, a, b);
    }
    double seconds = (System.nanoTime() - t0) * 1e-9;
    Blackhole.consume(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
    return iters * 8 * 2 / seconds / 1e9;
  }

  /** Loaded only when the Vector API is present. */
  private static final class VectorChains {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static double run(long iters) {
      FloatVector a = FloatVector.broadcast(S, 1.0000001f);
      FloatVector b = FloatVector.broadcast(S, 0.9999999f);
      FloatVector c0 = FloatVector.zero(S);
      FloatVector c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
      long t0 = System.nanoTime();
      for (long i = 0; i < iters; i++) {
        c0 = c0.fma(a, b);
        c1 = c1.fma(a, b);
        c2 = c2.fma(a, b);
        c3 = c3.fma(a, b);
        c4 = c4.fma(a, b);
        c5 = c5.fma(a, b);
        c6 = c6.fma(a, b);
        c7 = c7.fma(a, b);
        c8 = c8.fma(a, b);
        c9 = c9.fma(a, b);
        c10 = c10.fma(a, b);
        c11 = c11.fma(a, b);
      }
      double seconds = (System.nanoTime() - t0) * 1e-9;
      FloatVector sum = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11);
      Blackhole.consume(sum.reduceLanes(VectorOperators.ADD));
      return iters * 12.0 * 2 * S.length() / seconds / 1e9;
    }
  }
}
