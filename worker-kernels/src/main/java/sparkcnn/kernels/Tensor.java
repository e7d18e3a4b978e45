package sparkcnn.kernels;

import java.util.Arrays;

/**
 * A float32 tensor: a shape (NCHW for images) over {@code data[offset, offset + size)}, row-major.
 * Many tensors may view one array (a model's flat parameter buffer, a workspace); a tensor never
 * copies on its own.
 */
public final class Tensor {
  public final float[] data;
  public final int offset;
  private final int[] shape;
  private final int size;

  public Tensor(float[] data, int offset, int... shape) {
    this.size = Shape.size(shape);
    Check.span("tensor " + Shape.show(shape), data, offset, size);
    this.data = data;
    this.offset = offset;
    this.shape = shape.clone();
  }

  /** A new zero tensor of this shape. */
  public static Tensor zeros(int... shape) {
    return new Tensor(new float[Shape.size(shape)], 0, shape);
  }

  /**
   * A new zero tensor of this shape whose first float starts a cache line where the JVM lets one know where lines
   * start ({@link CacheLines}: G1's humongous arrays, 16 floats of room added); elsewhere as {@link #zeros}.
   */
  public static Tensor zerosFromLine(int... shape) {
    int size = Shape.size(shape);
    long humongous = CacheLines.humongousFloats();
    // The room past the largest arrays a JVM allocates would not fit: those stay where they start.
    if (humongous == 0 || (long) size + CacheLines.FLOATS < humongous
        || size > Integer.MAX_VALUE - 8 - CacheLines.FLOATS) {
      return zeros(shape);
    }
    float[] data = new float[size + CacheLines.FLOATS];
    return new Tensor(data, CacheLines.start(data), shape);
  }

  public int[] shape() {
    return shape.clone();
  }

  public int dim(int i) {
    return shape[i];
  }

  public int rank() {
    return shape.length;
  }

  public int size() {
    return size;
  }

  public float get(int i) {
    return data[offset + i];
  }

  public void set(int i, float v) {
    data[offset + i] = v;
  }

  /** The same elements under another shape of equal size. */
  public Tensor reshape(int... newShape) {
    if (Shape.size(newShape) != size) {
      throw new IllegalArgumentException("cannot reshape " + Shape.show(shape) + " (" + size + " elements) to "
          + Shape.show(newShape) + " (" + Shape.size(newShape) + " elements)");
    }
    return new Tensor(data, offset, newShape);
  }

  /** A copy of the elements as a fresh array. */
  public float[] toArray() {
    return Arrays.copyOfRange(data, offset, offset + size);
  }

  public void fill(float v) {
    Arrays.fill(data, offset, offset + size, v);
  }

  @Override
  public String toString() {
    return "Tensor" + Shape.show(shape);
  }
}
