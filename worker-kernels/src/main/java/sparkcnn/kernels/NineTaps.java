package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;

/**
 * A 3x3 depthwise filter's weight-gradient sums, one vector per tap, added into a channel's partial sums in tap
 * order (acc[at + t * lanes + lane]): the end of every vector sweep that accumulates them in registers. Only loaded
 * when the Vector API is present.
 */
final class NineTaps {
  private NineTaps() {}

  static void addInto(float[] acc, int at, FloatVector a00, FloatVector a01, FloatVector a02, FloatVector a10,
      FloatVector a11, FloatVector a12, FloatVector a20, FloatVector a21, FloatVector a22) {
    int l = a00.length();
    add(a00, acc, at);
    add(a01, acc, at + l);
    add(a02, acc, at + 2 * l);
    add(a10, acc, at + 3 * l);
    add(a11, acc, at + 4 * l);
    add(a12, acc, at + 5 * l);
    add(a20, acc, at + 6 * l);
    add(a21, acc, at + 7 * l);
    add(a22, acc, at + 8 * l);
  }

  private static void add(FloatVector v, float[] acc, int i) {
    v.add(FloatVector.fromArray(v.species(), acc, i)).intoArray(acc, i);
  }
}
