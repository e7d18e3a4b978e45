package sparkcnn.kernels;

import java.util.Arrays;

/** Argument checks shared by the kernels: each message names the operand and the shapes involved. */
final class Check {
  private Check() {}

  /** Fails unless array[off, off + size) exists. */
  static void span(String operand, float[] array, int off, long size) {
    if (array == null) {
      throw new IllegalArgumentException(operand + ": array is null");
    }
    if (off < 0 || size < 0 || off + size > array.length) {
      throw new IllegalArgumentException(operand + ": needs " + size + " floats at offset " + off
          + " but the array has " + array.length);
    }
  }

  /** Fails unless value is positive. */
  static void positive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + ": expected a positive value, got " + value);
    }
  }

  /** Fails unless value is not negative. */
  static void nonNegative(String name, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(name + ": expected a non-negative value, got " + value);
    }
  }

  /** Fails unless two shapes are equal. */
  static void sameShape(String a, int[] shapeA, String b, int[] shapeB) {
    if (!Arrays.equals(shapeA, shapeB)) {
      throw new IllegalArgumentException(a + " has shape " + Shape.show(shapeA) + " but " + b + " has shape "
          + Shape.show(shapeB) + "; they must match");
    }
  }
}
