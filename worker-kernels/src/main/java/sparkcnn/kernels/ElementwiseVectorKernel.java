package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector-API loops for element-wise kernels whose scalar form the JIT leaves scalar: a select on the sign of x
 * (a data-dependent branch, mispredicted half the time on activations) and exp-based activations. Only loaded
 * when {@link Simd#AVAILABLE}.
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

  /** y = min(max(x, 0), 6); x == y allowed. */
  static void relu6(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      FloatVector.fromArray(S, x, xOff + i).max(0f).min(6f).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = Math.min(Math.max(x[xOff + i], 0f), 6f);
    }
  }

  /**
   * {@link Activations#sumClamped} over the whole vectors of the run; returns where they end. (The scalar loop,
   * left to C2, ran slower than the forward's two passes it replaced: 5.2% of cifar_resnet20's training samples
   * against 4.9%; these lanes 1.4%.)
   */
  static int sumClamped(float[] a, int aOff, float[] b, int bOff, boolean six, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      FloatVector v = FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).max(0f);
      (six ? v.min(6f) : v).intoArray(y, yOff + i);
    }
    return i;
  }

  /** dx = 0 < x < 6 ? dy : 0, the same values as the scalar loop. */
  static void relu6Backward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    FloatVector zero = FloatVector.zero(S);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
      FloatVector g = FloatVector.fromArray(S, dy, dyOff + i);
      zero.blend(g, xv.compare(VectorOperators.GT, 0f).and(xv.compare(VectorOperators.LT, 6f)))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      dx[dxOff + i] = v > 0f && v < 6f ? dy[dyOff + i] : 0f;
    }
  }

  /**
   * y = x sigmoid(x) in float lanes, the same floats as the scalar loop. Where exp(-x) saturates to infinity
   * (x below -88.37), sigmoid is 0 and so is y.
   */
  static void silu(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      v.mul(sigmoid(v)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v * Activations.sigmoid(v);
    }
  }

  /** dx = dy s (1 + x (1 - s)), s = sigmoid(x). */
  static void siluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      siluGradient(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, dy, dyOff + i))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      dx[dxOff + i] = Activations.siluGradient(x[xOff + i], dy[dyOff + i]);
    }
  }

  /**
   * SiLU's gradient at its input z, dy s (1 + z (1 - s)) with s = sigmoid(z), in lanes: the one formula of every
   * SiLU backward loop (this file's and batch norm's fused ones), which so give the same floats;
   * {@link Activations#siluGradient} is the scalar tails' twin.
   */
  static FloatVector siluGradient(FloatVector z, FloatVector dy) {
    FloatVector s = sigmoid(z);
    return dy.mul(s).mul(z.mul(s.neg().add(1f)).add(1f));
  }

  /** The sum of x[off .. off + n) in vector lanes, then across them (a different order than a scalar loop's). */
  static float sum(float[] x, int off, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      acc = acc.add(FloatVector.fromArray(S, x, off + i));
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      s += x[off + i];
    }
    return s;
  }

  /**
   * da = dy g over a run (skipped when da is null) and the dot product of dy and a over it, in one sweep: the
   * backward of squeeze-and-excitation's gate, plane by plane.
   */
  static float scaleAndDot(float[] dy, int dyOff, float[] a, int aOff, float g, float[] da, int daOff, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      FloatVector d = FloatVector.fromArray(S, dy, dyOff + i);
      if (da != null) {
        d.mul(g).intoArray(da, daOff + i);
      }
      acc = d.fma(FloatVector.fromArray(S, a, aOff + i), acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      float d = dy[dyOff + i];
      if (da != null) {
        da[daOff + i] = d * g;
      }
      s += d * a[aOff + i];
    }
    return s;
  }

  /** y = x a + b over a run, the product rounded before the sum (no fused multiply-add). */
  static void scaleThenAdd(float[] x, int xOff, float a, float b, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += S.length()) {
      FloatVector.fromArray(S, x, xOff + i).mul(a).add(b).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = x[xOff + i] * a + b;
    }
  }

  /**
   * 1 / (1 + exp(-v)) in float lanes, lane for lane {@link Activations#sigmoid}'s floats; batch norm's fused SiLU
   * loops use it too.
   */
  static FloatVector sigmoid(FloatVector v) {
    FloatVector one = FloatVector.broadcast(S, 1f);
    return one.div(exp(v.neg()).add(one));
  }

  /** exp in lanes: {@link Activations#exp}'s steps, so the same floats (see there why not the API's EXP). */
  static FloatVector exp(FloatVector x) {
    FloatVector t = x.fma(Activations.LOG2E, Activations.ROUND);
    FloatVector k = t.sub(Activations.ROUND);
    FloatVector r = k.fma(lanes(-Activations.LN2_LO), k.fma(lanes(-Activations.LN2_HI), x));
    FloatVector p = r.fma(Activations.P0, Activations.P1).fma(r, lanes(Activations.P2)).fma(r, lanes(Activations.P3))
        .fma(r, lanes(Activations.P4)).fma(r, lanes(Activations.P5));
    FloatVector twoToK = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector e = p.fma(r.mul(r), r).add(1f).mul(twoToK);
    return e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, Activations.EXP_HI))
        .blend(0f, x.compare(VectorOperators.LT, Activations.EXP_LO));
  }

  private static FloatVector lanes(float c) {
    return FloatVector.broadcast(S, c);
  }
}
