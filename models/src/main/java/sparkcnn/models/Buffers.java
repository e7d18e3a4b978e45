package sparkcnn.models;

import java.util.Arrays;
import sparkcnn.kernels.Shape;
import sparkcnn.kernels.Tensor;

/**
 * Output buffers that layers reuse across steps: a new array only when the shape changes, its data from a
 * cache-line boundary where that can be known ({@link Tensor#zerosFromLine}).
 *
 * <p>Why: planes of a multiple of 16 floats (56x56, 28x28, 112x112, 32x32...) then start on line boundaries, and the
 * kernels' whole-vector loads and stores along them no longer straddle two lines (a humongous array's first float
 * sits 16 bytes past one). One Xeon thread (AVX-512), layer by layer in one probe, alternating placements, GFLOP/s:
 * depthwise 3x3 32 x 112x112 b8 forward 52-57 against 42-43, backward data 53-59 against 42-44; 5x5 240 x 28x28 b16,
 * the 1x1 layers and ResNet-20's 3x3 level within their spread. Training at 3x64x64 on two cores, alternating with
 * the build before: `efficientnet_b0` 274-279 images/s against 257-259, `mobilenet_v2` 356-380 against 350-353, both
 * within what the host's spread allows (README, "Tiles and activations from a cache-line boundary").
 */
public final class Buffers {
  /**
   * Tests only: where this is 0 or more, every new buffer starts that many floats into its array instead, so that
   * a layer that took its buffer's offset for 0 shows on small tensors too (whose arrays are not humongous).
   */
  static int placement = -1;

  private Buffers() {}

  /**
   * t if it already has this shape, else a zero tensor of it: over t's array where that is large enough, else a new
   * one. t must be null or a tensor this method returned (its array is the caller's own). Why the array is kept:
   * scoring cuts a batch into forward passes of a few images, the last one shorter, and every layer's buffer went
   * back and forth between the two shapes, a new array each time (EfficientNet-B0 at 224: 79 MB an image), whose
   * zeroing and fresh pages were 4-5% of `bench score`'s samples. Zeroed as a new array is, in one fill.
   */
  public static Tensor ensure(Tensor t, int... shape) {
    if (t != null && Arrays.equals(t.shape(), shape)) {
      return t;
    }
    int size = Shape.size(shape);
    if (t != null && t.data.length - t.offset >= size) {
      Arrays.fill(t.data, t.offset, t.offset + size, 0f);
      return new Tensor(t.data, t.offset, shape);
    }
    if (placement >= 0) {
      return new Tensor(new float[Shape.size(shape) + placement], placement, shape);
    }
    return Tensor.zerosFromLine(shape);
  }
}
