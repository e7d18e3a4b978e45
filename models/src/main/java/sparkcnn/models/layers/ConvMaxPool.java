package sparkcnn.models.layers;

import java.util.List;
import sparkcnn.kernels.CacheSizes;
import sparkcnn.kernels.ConvGeom;
import sparkcnn.kernels.PoolKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.ReceptiveField;
import sparkcnn.models.Tracer;

/**
 * Inference only: a convolution (batch norm folded, activation fused) and the 2x2 stride-2 max pool after it, as
 * one layer (tf_convnet's and VGG's stages end this way).
 *
 * <p>Layer by layer, the convolution's output is written whole, read again by its bias and activation pass and
 * a third time by the pool, which also records an arg-max that inference never reads. A per-channel bias and a
 * non-decreasing activation commute with max, so here the pool runs on the convolution's raw output and the bias
 * and activation on the pooled quarter; and the images go through in chunks whose raw output fits in an eighth
 * of the last-level cache, so the pool reads it from there (the full-size output buffer is never allocated).
 * In tf_convnet at batch 256 on one thread that took the first layer and its pool from 12.2-12.6 ms to
 * 10.2-10.4, the second from 36-41 to 34.6-35.4. A geometry whose pool is not a plain 2x2 window (an odd size
 * under "same" padding) runs the two layers as they were; they stay the reference the tests compare against.
 * One difference: a NaN anywhere in a window gives NaN here, where the unmerged pool keeps it only if it comes
 * first.
 */
final class ConvMaxPool implements Layer {
  private final Conv2d conv;
  private final Pool2d pool;
  private Tensor raw;
  private Tensor y;
  /** At most this many images per chunk: tests set it low to cross chunk edges on small batches. */
  static volatile int chunkLimit = Integer.MAX_VALUE;

  /** Whether the two may merge: a 2x2 stride-2 max pool after a convolution whose activation commutes with max. */
  static boolean merges(Conv2d conv, Pool2d pool) {
    return pool.isMax() && pool.isTwoByTwo() && conv.epilogueCommutesWithMax();
  }

  ConvMaxPool(Conv2d conv, Pool2d pool) {
    if (!merges(conv, pool)) {
      throw new IllegalArgumentException(conv.describe() + ", " + pool.describe() + ": needs a 2x2 stride-2 max "
          + "pool and an activation that commutes with it");
    }
    this.conv = conv;
    this.pool = pool;
  }

  @Override
  public List<Layer> children() {
    return List.of(conv, pool);
  }

  @Override
  public int[] outputShape(int[] in) {
    return pool.outputShape(conv.outputShape(in));
  }

  @Override
  public long macs(int[] in) {
    return conv.macs(in);
  }

  @Override
  public ReceptiveField trace(int[] in, ReceptiveField field, Tracer tracer) {
    return pool.trace(conv.outputShape(in), conv.trace(in, field, tracer), tracer);
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    if (training) {
      throw new IllegalStateException(describe() + ": an inference graph's layer cannot train");
    }
    int[] shape = x.shape();
    int[] convOut = conv.outputShape(shape);
    if (!PoolKernels.isPlain2x2(pool.geometry(convOut))) {
      return pool.forward(conv.forward(x, false), false);
    }
    int n = shape[0];
    int perImage = convOut[1] * convOut[2] * convOut[3];
    int chunk = (int) Math.max(1, Math.min(Math.min(n, chunkLimit), CacheSizes.lastLevel() / 8 / (4L * perImage)));
    raw = Buffers.ensure(raw, chunk, convOut[1], convOut[2], convOut[3]);
    y = Buffers.ensure(y, outputShape(shape));
    int xPer = shape[1] * shape[2] * shape[3];
    int[] out = y.shape();
    int yPer = out[1] * out[2] * out[3];
    for (int i = 0; i < n; i += chunk) {
      int m = Math.min(chunk, n - i);
      ConvGeom g = conv.geometry(new int[] {m, shape[1], shape[2], shape[3]});
      conv.forwardWithoutEpilogueOn(x.data, x.offset + i * xPer, g, raw.data, raw.offset);
      conv.maxPoolEpilogueOn(raw.data, raw.offset, pool.geometry(g.outputShape()), y.data, y.offset + i * yPer);
    }
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    throw new IllegalStateException(describe() + ": an inference graph's layer has no backward");
  }

  @Override
  public String describe() {
    return conv.describe() + ", " + pool.describe() + " (pooled before the bias pass)";
  }
}
