package sparkcnn.models.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Layer;
import sparkcnn.models.Model;

/**
 * A convolution and the max pool after it, merged in the inference graph, equal the two layers run one by one in
 * evaluation mode: pools after a conv + batch norm + activation block (nested, as the zoo builds them) and after a
 * bare convolution, odd image sizes, a "same" pool on an odd size (not a plain 2x2 window: the unmerged path),
 * chunks of one image up to the whole batch, batch 1 and 5. A SiLU before the pool, and a pool a max unpool reads,
 * stay unmerged.
 */
class ConvMaxPoolTest {
  private static Layer network(Activation.Kind first, Pool2d unpooled) {
    Pool2d second = Pool2d.max(2, 2, Conv2d.SAME);
    return Sequential.of(
        Sequential.of(new Conv2d(3, 8, 3, 1, 1, 1, 1, true), new BatchNorm2d(8), new Activation(first)),
        Pool2d.max(2, 2, 0),
        new Conv2d(8, 6, 5, 1, Conv2d.SAME, 1, 1, true), new Activation(Activation.Kind.RELU6), second,
        unpooled == null ? new Identity()
            : Sequential.of(new Conv2d(6, 6, 3, 1, 1, 1, 1, true), unpooled, new MaxUnpool2d(unpooled)),
        new Conv2d(6, 4, 3, 1, 1, 1, 1, false), new Activation(Activation.Kind.TANH), Pool2d.max(2, 2, Conv2d.SAME));
  }

  private static int merged(Model m) {
    int[] count = {0};
    Model.walk(m.root(), l -> count[0] += l instanceof ConvMaxPool ? 1 : 0);
    return count[0];
  }

  private static void assertFoldedMatches(Activation.Kind first, boolean unpool, int expectMerged) {
    SplittableRandom rnd = new SplittableRandom(first.ordinal() * 7L + (unpool ? 1 : 0));
    FoldedTwin twin = new FoldedTwin(
        () -> new Model("pools", network(first, unpool ? Pool2d.max(2, 2, 0) : null), 3, 13, 13), 4, rnd, 0.2f);
    assertEquals(expectMerged, merged(twin.folded), "convolutions merged with their pools");
    try {
      // 13: pools of 13 -> 6, 6 -> 3, 3 -> 2 (same, odd: unmerged path); 28: 14, 7, 4; 9: 4, 2, 1.
      for (int size : new int[] {13, 28, 9}) {
        for (int n : new int[] {1, 5}) {
          for (int limit : new int[] {1, 2, Integer.MAX_VALUE}) {
            ConvMaxPool.chunkLimit = limit;
            twin.assertSameOutputs(rnd, new int[] {n, 3, size, size},
                first + " size " + size + " batch " + n + " chunks of " + limit);
          }
        }
      }
    } finally {
      ConvMaxPool.chunkLimit = Integer.MAX_VALUE;
    }
  }

  @Test
  void mergedPoolsMatchTheLayersRunOneByOne() {
    assertFoldedMatches(Activation.Kind.RELU, false, 3);
    assertFoldedMatches(Activation.Kind.SIGMOID, false, 3);
  }

  @Test
  void siluAndUnpooledPoolsStayUnmerged() {
    assertFoldedMatches(Activation.Kind.SILU, false, 2);
    assertFoldedMatches(Activation.Kind.RELU, true, 3);
  }

  /** ResNet's and AlexNet's 3x3 stride-2 pools are not 2x2 windows: they stay layers of their own. */
  @Test
  void otherWindowsStayUnmerged() {
    Model m = new Model("stem", Sequential.of(new Conv2d(3, 4, 3, 1, 1, 1, 1, true),
        new Activation(Activation.Kind.RELU), Pool2d.max(3, 2, 1), new Conv2d(4, 4, 1, 1, 0, 1, 1, true),
        Pool2d.max(2, 1, 0)), 3, 9, 9).init(2);
    m.foldForInference();
    assertEquals(0, merged(m));
  }

  @Test
  void mergedLayerOnlyRunsInference() {
    ConvMaxPool merged = new ConvMaxPool(new Conv2d(1, 2, 3, 1, 1, 1, 1, true), Pool2d.max(2, 2, 0));
    assertThrows(IllegalStateException.class, () -> merged.forward(new Tensor(new float[16], 0, 1, 1, 4, 4), true));
    assertThrows(IllegalArgumentException.class,
        () -> new ConvMaxPool(new Conv2d(1, 2, 3, 1, 1, 1, 1, true), Pool2d.avg(2, 2, 0, false)));
    assertThrows(IllegalArgumentException.class,
        () -> new ConvMaxPool(new Conv2d(1, 2, 3, 1, 1, 1, 1, true), Pool2d.max(3, 2, 1)));
  }
}
