package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector-API loops for element-wise kernels whose scalar form the JIT leaves scalar: a select on the sign of x
 * (a data-dependent branch, mispredicted half the time on activations) and sums carried in double (a serial
 * dependency chain). Only loaded when {@link Simd#AVAILABLE}.
 */
final class ElementwiseVectorKernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  private ElementwiseVectorKernel() {}

  /** dx = x > 0 ? dy : 0, the same values as the scalar loop. */
  static void reluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    FloatVector zero = FloatVector.zero(S);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
      FloatVector g = FloatVector.fromArray(S, dy, dyOff + i);
      zero.blend(g, xv.compare(VectorOperators.GT, 0f)).intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      dx[dxOff + i] = x[xOff + i] > 0f ? dy[dyOff + i] : 0f;
    }
  }

  /**
   * Adds sum(dy) and sum(dy (x - mean)) over n floats into out[0] and out[1]: float lanes over the run, then the
   * lanes' totals in double, so a lane never sums more than n / lanes terms.
   */
  static void dySums(float[] x, int xOff, float[] dy, int dyOff, int n, float mean, double[] out) {
    FloatVector sdy = FloatVector.zero(S);
    FloatVector sdyx = FloatVector.zero(S);
    FloatVector mv = FloatVector.broadcast(S, mean);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      FloatVector d = FloatVector.fromArray(S, dy, dyOff + i);
      FloatVector xc = FloatVector.fromArray(S, x, xOff + i).sub(mv);
      sdy = sdy.add(d);
      sdyx = d.fma(xc, sdyx);
    }
    double a = sdy.reduceLanes(VectorOperators.ADD);
    double b = sdyx.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      float d = dy[dyOff + i];
      a += d;
      b += d * (x[xOff + i] - mean);
    }
    out[0] += a;
    out[1] += b;
  }

  /** Adds sum(x) and sum(x^2) over n floats into out[0] and out[1], float lanes then double as in dySums. */
  static void sums(float[] x, int xOff, int n, double[] out) {
    FloatVector s = FloatVector.zero(S);
    FloatVector s2 = FloatVector.zero(S);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      s = s.add(v);
      s2 = v.fma(v, s2);
    }
    double a = s.reduceLanes(VectorOperators.ADD);
    double b = s2.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      double v = x[xOff + i];
      a += v;
      b += v * v;
    }
    out[0] += a;
    out[1] += b;
  }
}
