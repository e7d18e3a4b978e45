package sparkcnn.models.layers;

import java.util.Arrays;
import sparkcnn.kernels.Tensor;
import sparkcnn.kernels.UpsampleKernels;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/**
 * Max-unpooling (SegNet's decoder): puts each value back where its paired max pool found the maximum, zeros
 * elsewhere. The pool must run earlier in the same forward; this layer reads its last arg-max.
 */
public final class MaxUnpool2d implements Layer {
  private final Pool2d pool;
  private Tensor y;
  private Tensor dx;

  public MaxUnpool2d(Pool2d pool) {
    if (!pool.isMax()) {
      throw new IllegalArgumentException("max unpool: needs a max pool, got " + pool.describe());
    }
    this.pool = pool;
  }

  /** The max pool whose arg-max this layer reads (an inference graph must keep it a layer of its own). */
  Pool2d pool() {
    return pool;
  }

  @Override
  public int[] outputShape(int[] in) {
    Shapes.image(describe(), in, 0);
    return pool.inputShapeFor(in);
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    if (pool.geometry() == null || !Arrays.equals(pool.geometry().outputShape(), x.shape())) {
      throw new IllegalStateException(describe() + ": its max pool has not pooled an input of this shape yet");
    }
    y = Buffers.ensure(y, pool.geometry().inputShape());
    UpsampleKernels.maxUnpoolForward(x.data, x.offset, pool.argmax(), y.data, y.offset, pool.geometry());
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, pool.geometry().outputShape());
    UpsampleKernels.maxUnpoolBackward(dy.data, dy.offset, pool.argmax(), dx.data, dx.offset, pool.geometry());
    return dx;
  }

  @Override
  public String describe() {
    return "max unpool (of " + pool.describe() + ")";
  }
}
